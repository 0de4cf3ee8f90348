/**
 * What a function answered about a batch, as Lambda reads a partial batch response
 * (`ReportBatchItemFailures`): an empty or absent `batchItemFailures` is full success; an
 * identifier that is empty or not in the batch makes the whole batch a failure.
 */
export type BatchOutcome =
  | { kind: 'success' }
  | { kind: 'failed' }
  | { kind: 'partial'; failed: Set<string> };

export function batchOutcome(payload: unknown, identifiers: ReadonlySet<string>): BatchOutcome {
  if (payload === null || typeof payload !== 'object' || !('batchItemFailures' in payload)) {
    return { kind: 'success' };
  }
  const failures = payload.batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failed' };
  if (failures.length === 0) return { kind: 'success' };
  const failed = new Set<string>();
  for (const failure of failures) {
    const id =
      failure !== null && typeof failure === 'object' && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '' || !identifiers.has(id)) return { kind: 'failed' };
    failed.add(id);
  }
  return { kind: 'partial', failed };
}
