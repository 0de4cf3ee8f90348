/** `plgate local`'s flags as commander hands them to its action: the defaults, on a free port. */
export const LOCAL_FLAGS = Object.freeze({
  port: '0',
  host: '127.0.0.1',
  account: '000000000000',
  region: 'us-east-1',
  sweepInterval: '60s',
  acceptDelay: '1s',
  deleteDelay: '1s',
});
