/**
 * Regenerates docs/console.png, the README's picture of the console (`npm run screenshot`):
 * runs the demo as `npm start` does, lets one more consumer ask for a connection as one
 * would after it, and photographs the Requests page in Debian's Chromium.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateVpcEndpointCommand, EC2Client } from '@aws-sdk/client-ec2';
import { launchChromium } from '../test/support/browser.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = fileURLToPath(new URL('../docs/console.png', import.meta.url));
/** Not in any rule of policies/: held for review by the defaults. */
const NEW_CUSTOMER = '999999999999';

const demo = spawn(
  process.execPath,
  ['bin/plgate.mjs', 'local', '--demo', '--rules', 'policies', '--port', '0'],
  {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const stopped = new Promise((resolve) => demo.once('exit', resolve));

try {
  const seen = { cloud: '', console: '', service: '' };
  for await (const line of createInterface({ input: demo.stdout })) {
    seen.cloud ||= /local cloud listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
    seen.service ||= /(vpce-svc-[0-9a-f]+) \(enforce\)/.exec(line)?.[1] ?? '';
    const url = /^console \(.*\): (\S+)$/.exec(line)?.[1];
    if (url) seen.console = url;
    if (line.startsWith('Approve or deny what waits in the console')) break;
  }
  if (!seen.cloud || !seen.console || !seen.service) {
    throw new Error(`the demo did not say where it runs: ${JSON.stringify(seen)}`);
  }
  const consumer = new EC2Client({
    endpoint: seen.cloud,
    region: 'us-east-1',
    credentials: { accessKeyId: NEW_CUSTOMER, secretAccessKey: 'local' },
  });
  const created = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: 'vpc-0123456789abcdef0',
      SubnetIds: ['subnet-0123456789abcdef0'],
      ServiceName: `com.amazonaws.vpce.us-east-1.${seen.service}`,
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'team', Value: 'data-platform' }] }],
    }),
  );
  consumer.destroy();
  const endpointId = created.VpcEndpoint?.VpcEndpointId ?? '';

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 640 }, deviceScaleFactor: 1 });
    await page.goto(seen.console);
    await page.goto(seen.console.replace(/\/\?token=.*$/, '/#requests?state='));
    // The new request shows once the gate has held it (the page reads again on every decision).
    await page
      .locator(`tr[data-endpoint="${endpointId}"]`, { hasText: 'review' })
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: OUT });
    process.stdout.write(`wrote ${OUT}\n`);
  } finally {
    await browser.close();
  }
} finally {
  demo.kill('SIGINT');
  await stopped;
}
