import {processIo, run} from './run.ts';

const code = await run(processIo());
process.exitCode = code;
// Open handles (a server socket the demo left) must not keep a finished CLI alive.
setTimeout(() => process.exit(code), 200).unref();
