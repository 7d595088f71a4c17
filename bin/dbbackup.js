#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader, so the CLI needs no build step. The project's
// tsconfig is named explicitly: tsx would otherwise look in the current directory, and from anywhere
// else the .tsx screens would compile with the classic JSX transform ("React is not defined").
import {fileURLToPath} from 'node:url';
import {register} from 'tsx/esm/api';

register({tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url))});
await import('../source/cli/main.ts');
