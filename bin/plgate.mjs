#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on load so a fresh clone runs without a build step.
import { register } from 'tsx/esm/api';

// The CLI supports Node 20; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
