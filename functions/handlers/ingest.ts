// Placeholder until the gate lands (issue 4); replaced by the real handler.
export const handler = async (): Promise<never> => {
  throw new Error('ingest handler not built yet');
};
