/**
 * The Slack buttons' function on the local cloud, reached the way a Chatbot custom action
 * reaches it in AWS: `aws lambda invoke` (the AWS CLI, an independent client) on the edge
 * port. Approve, deny and explain do what the CLI commands do, and answer a line of text.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, operatorFunctionName } from '../../../functions/shared/config.ts';
import { BLOCKED, HELD } from '../../support/accounts.ts';
import { AwsCliError, runAws } from '../../support/aws-cli.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';

/** What a stack of the default name calls its operator function (the template names it). */
const OPERATOR_FUNCTION_NAME = operatorFunctionName(DEFAULT_STACK_NAME);

const SLOW = { timeout: 120_000 };
const out = mkdtempSync(join(tmpdir(), 'plgate-invoke-'));

let world: LocalGateWorld;
let serviceId: string;

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    { kind: 'rule', id: 'hold-444', effect: 'review', match: { accounts: [HELD] } },
    { kind: 'rule', id: 'block-666', effect: 'reject', match: { accounts: [BLOCKED] } },
  ]);
  serviceId = await createService(world.provider);
  await settle(world);
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

/** `aws lambda invoke` as the button runs it; returns the CLI's answer and the function's payload. */
async function invoke(payload: unknown, accessKeyId = 'provider') {
  const file = join(out, `${Math.random().toString(16).slice(2)}.json`);
  const answer = (await runAws({ endpoint: world.cloud.endpoint, accessKeyId }, [
    'lambda',
    'invoke',
    '--function-name',
    OPERATOR_FUNCTION_NAME,
    '--payload',
    JSON.stringify(payload),
    file,
  ])) as { StatusCode: number; FunctionError?: string };
  return { answer, payload: JSON.parse(readFileSync(file, 'utf8')) as unknown };
}

describe('the operator function over lambda invoke', () => {
  it('is listed among the functions', SLOW, async () => {
    const listed = (await runAws({ endpoint: world.cloud.endpoint, accessKeyId: 'provider' }, [
      'lambda',
      'list-functions',
    ])) as { Functions: { FunctionName: string; FunctionArn: string }[] };
    expect(listed.Functions.map((f) => f.FunctionName)).toContain(OPERATOR_FUNCTION_NAME);
    expect(world.gate.functionNames.operator).toBe(OPERATOR_FUNCTION_NAME);
  });

  it('explain, then approve a held request: accepted, recorded with the reason', SLOW, async () => {
    const held = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    const explained = await invoke({ action: 'explain', endpointId: held });
    expect(explained.answer.StatusCode).toBe(200);
    expect(explained.payload).toMatch(
      new RegExp(
        `^${held} \\(account ${HELD}, pendingAcceptance\\) on ${serviceId}: review by rule hold-444`,
      ),
    );

    const approved = await invoke({ action: 'approve', endpointId: held, reason: 'ok in Slack' });
    expect(approved.payload).toMatch(new RegExp(`^done: ${held}: accepted`));
    expect(await stateOf(world, serviceId, held)).toMatch(/^(pending|available)$/);
    await settle(world);
    const [last] = (await outcomesOf(world, held)).reverse();
    expect(last).toMatchObject({ outcome: 'accepted', trigger: 'manual', reason: 'ok in Slack' });
    // In AWS the stack sets the actor to the chat channel's role; without a channel the
    // function names itself.
    expect(last?.actor).toBe(
      `arn:aws:lambda:${world.cloud.region}:${world.cloud.account}:function:${OPERATOR_FUNCTION_NAME}`,
    );
  });

  it('approve refuses against a reject rule; deny rejects', SLOW, async () => {
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    const other = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    const refused = await invoke({ action: 'approve', endpointId: blocked });
    expect(refused.payload).toMatch(/^not done: reject rule "block-666" matches/);
    const denied = await invoke({ action: 'deny', endpointId: other });
    expect(denied.payload).toMatch(new RegExp(`^done: ${other}: rejected`));
    expect(await stateOf(world, serviceId, other)).toBe('rejected');
  });

  it('bad input is the function error, naming the field and the value; writes nothing', SLOW, async () => {
    // What the tests before set going (a denial's stream record, the sweep it starts) ends first.
    await settle(world);
    const before = await world.rules.items();
    const bad = await invoke({ action: 'approve', endpointId: 'vpce-XYZ' });
    expect(bad.answer.FunctionError).toBe('Unhandled');
    expect(JSON.stringify(bad.payload)).toMatch(/endpointId: must be an endpoint id .*got \\"vpce-XYZ\\"/);
    expect(await world.rules.items()).toEqual(before);
  });

  it('another account cannot invoke it', SLOW, async () => {
    await expect(
      invoke({ action: 'explain', endpointId: 'vpce-0123456789abcdef0' }, '111111111111'),
    ).rejects.toThrow(AwsCliError);
  });
});
