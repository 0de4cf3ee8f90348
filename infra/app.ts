// The CDK app entry (cdk.json): `npm run synth`, `npm run diff`, `npm run deploy`.
import { buildGateApp } from './gate-app.ts';

buildGateApp().app.synth();
