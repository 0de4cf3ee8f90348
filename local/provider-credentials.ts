/** Credentials of the provider account in the local cloud (any non-12-digit key id is its administrator). */
export const PROVIDER_CREDENTIALS = { accessKeyId: 'provider', secretAccessKey: 'local' } as const;
