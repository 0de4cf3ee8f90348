/**
 * CloudFormation in the local cloud: the deployer (what `plgate local` deploys an
 * assembly with) and the Query API that answers for the stacks it made.
 */
import { QueryParams } from '../query-params.ts';
import type { EdgeRequest, EdgeResponse, LocalService, ResourceProvider } from '../service.ts';
import { CLOUDFORMATION_VERSION, CloudFormationApi } from './api.ts';
import { Deployer } from './deployer.ts';
import { Stacks } from './stacks.ts';

export class CloudFormationService implements LocalService {
  readonly name = 'cloudformation';
  readonly stacks = new Stacks();
  readonly deployer: Deployer;
  readonly #api: CloudFormationApi;

  constructor(providers: () => ReadonlyMap<string, ResourceProvider>) {
    this.deployer = new Deployer({
      get providers() {
        return providers();
      },
      stacks: this.stacks,
    });
    this.#api = new CloudFormationApi(this.stacks, this.deployer);
  }

  matches(request: EdgeRequest): boolean {
    if (request.headers['x-amz-target'] !== undefined) return false;
    if (request.caller?.service === 'cloudformation') return true;
    return formOf(request).get('Version') === CLOUDFORMATION_VERSION;
  }

  handle(request: EdgeRequest): Promise<EdgeResponse> {
    return this.#api.handle(request, QueryParams.fromSearchParams(formOf(request)));
  }

  snapshot(): unknown {
    return this.stacks.snapshot();
  }

  restore(snapshot: unknown): void {
    this.stacks.restore(snapshot);
  }
}

function formOf(request: EdgeRequest): URLSearchParams {
  const form = new URLSearchParams(request.url.search);
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (request.method === 'POST' && type === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(request.body)) form.append(key, value);
  }
  return form;
}
