/**
 * The order files start in: the long ones first, so that two workers do not end with one of
 * them running the longest file alone. vitest orders by the durations of the last run when
 * it has them; a fresh clone (CI) has none, and by file size the docs walks (a short file
 * that runs the whole demo) would start last. So: integration tests before the CLI's, the
 * stack's and the unit tests, the docs walks and the chaos run first of all; vitest's own
 * order within each group.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const GROUPS = [
  'test/integration/docs/',
  'test/integration/chaos/',
  'test/integration/',
  'test/cli/',
  'test/infra/',
  'test/',
];

function groupOf(spec: TestSpecification): number {
  const path = spec.moduleId.replaceAll('\\', '/');
  const index = GROUPS.findIndex((prefix) => path.includes(`/${prefix}`));
  return index === -1 ? GROUPS.length : index;
}

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = new Map(sorted.map((spec, i) => [spec, i]));
    return [...sorted].sort((a, b) => groupOf(a) - groupOf(b) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  }
}
