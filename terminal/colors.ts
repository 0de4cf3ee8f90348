/**
 * Colours for people at a terminal, decided when text is written, not when a module loads:
 * on when standard output is a terminal (or FORCE_COLOR is set), off with NO_COLOR and
 * when the output goes to a file, a pipe or a test's capture. (picocolors' own default also
 * colours whenever CI is set, which puts escape codes into piped output on CI machines.)
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

const on = pc.createColors(true);
const off = pc.createColors(false);

export function colors(
  env: NodeJS.ProcessEnv = process.env,
  stream: { isTTY?: boolean } = process.stdout,
): Colors {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return off;
  if ('FORCE_COLOR' in env && env.FORCE_COLOR !== '0') return on;
  return stream.isTTY === true ? on : off;
}
