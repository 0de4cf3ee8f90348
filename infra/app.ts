// The CDK app entry (cdk.json): `npm run synth`, `npm run diff`, `npm run deploy`.
import { GateConfigError } from './config.ts';
import { buildGateApp } from './gate-app.ts';

try {
  buildGateApp().app.synth();
} catch (error) {
  // A bad setting is the person's to fix: the message names the field, the value and what
  // was meant; a Node stack trace would only bury it. Anything else is a bug and keeps its trace.
  if (!(error instanceof GateConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
