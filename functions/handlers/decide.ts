// Placeholder until the gate lands (issue 4); replaced by the real handler.
export const handler = async (): Promise<never> => {
  throw new Error('decide handler not built yet');
};
