/**
 * The embedded DynamoDB engine: dynalite, listening on a private loopback port,
 * reached through one keep-alive agent. The edge server has already checked the
 * caller's credentials, so requests to dynalite carry a fixed local signature.
 */

import { Agent, request, type Server } from 'node:http';
import dynalite from 'dynalite';

export interface EngineResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class DynamoDbEngineError extends Error {
  override name = 'DynamoDbEngineError';
}

export class DynamoDbEngine {
  private constructor(
    private readonly server: Server,
    private readonly port: number,
    private readonly agent: Agent,
  ) {}

  /**
   * Starts dynalite in memory, or persisted under `dataDir`. Tables become ACTIVE
   * at once. dynalite reads the account and region for table ARNs from the
   * environment when it starts, so they are set for that moment only.
   */
  static async start(options: {
    dataDir?: string;
    account: string;
    region: string;
  }): Promise<DynamoDbEngine> {
    const saved = { account: process.env.AWS_ACCOUNT_ID, region: process.env.AWS_REGION };
    process.env.AWS_ACCOUNT_ID = options.account;
    process.env.AWS_REGION = options.region;
    let server: Server;
    try {
      server = dynalite({
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
        ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
      });
    } finally {
      if (saved.account === undefined) delete process.env.AWS_ACCOUNT_ID;
      else process.env.AWS_ACCOUNT_ID = saved.account;
      if (saved.region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved.region;
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') {
      throw new DynamoDbEngineError('dynalite did not report a TCP address');
    }
    return new DynamoDbEngine(server, address.port, new Agent({ keepAlive: true, maxSockets: 16 }));
  }

  /** One DynamoDB JSON API call: `operation` is e.g. `PutItem`, `body` the JSON request. */
  call(operation: string, body: string): Promise<EngineResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'x-amz-date': '20260101T000000Z',
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'content-length': Buffer.byteLength(body, 'utf8'),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') headers[name] = value;
            }
            resolve({ status: res.statusCode ?? 500, headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.on('error', (error) =>
        reject(new DynamoDbEngineError('the embedded DynamoDB did not answer', { cause: error })),
      );
      req.end(body);
    });
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }
}
