/** The port the local cloud listens on unless told otherwise: LocalStack's, which AWS tooling expects. */
export const DEFAULT_EDGE_PORT = 4566;
