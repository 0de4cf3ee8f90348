/**
 * Service and endpoint ids named anywhere in a text: a notification's undocumented body or a
 * CloudTrail call's parameters are read only for these, leniently.
 */
const SERVICE_ID = /vpce-svc-[0-9a-f]{8,17}/g;
const ENDPOINT_ID = /vpce-(?!svc-)[0-9a-f]{8,17}/g;

export interface NamedIds {
  serviceIds: string[];
  endpointIds: string[];
}

/** Service and endpoint ids anywhere in a text, each once, in order of appearance. */
export function idsIn(text: string): NamedIds {
  return {
    serviceIds: [...new Set(text.match(SERVICE_ID) ?? [])],
    endpointIds: [...new Set(text.match(ENDPOINT_ID) ?? [])],
  };
}
