/** The lint rules that keep the layers apart refuse what they should, and allow what the layers may do. */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ESLint} from 'eslint';

const eslint = new ESLint();

async function refusals(file: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, {filePath: file});
	return (result?.messages ?? []).filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports').map((message) => message.message);
}

test('each layer is refused the layers above it', async () => {
	for (const [file, code] of [
		['source/core/x.ts', "import {ENGINES} from '../engines/registry.ts';\nvoid ENGINES;\n"],
		['source/storage/x.ts', "import {ENGINES} from '../engines/registry.ts';\nvoid ENGINES;\n"],
		['source/engines/mysql-logical/x.ts', "import {render} from '../../ui/render.tsx';\nvoid render;\n"],
		['source/binlog/stream/x.ts', "import {runBackup} from '../../services/backup.ts';\nvoid runBackup;\n"],
		['source/services/x.ts', "import {dumpMysql} from '../engines/mysql-logical/dump.ts';\nvoid dumpMysql;\n"],
		['source/ui/screens/x.tsx', "import {runBackup} from '../../services/backup.ts';\nvoid runBackup;\n"],
	] as const) {
		assert.equal((await refusals(file, code)).length, 1, `${file}: ${code}`);
	}
});

test('what the layers may do passes', async () => {
	for (const [file, code] of [
		['source/storage/x.ts', "import {UsageError} from '../core/errors.ts';\nvoid UsageError;\n"],
		['source/services/x.ts', "import {mysqlLogicalEngine} from '../engines/mysql-logical/index.ts';\nimport {ENGINES} from '../engines/registry.ts';\nvoid mysqlLogicalEngine;\nvoid ENGINES;\n"],
		['source/ui/screens/x.tsx', "import type {BackupOutcome} from '../../services/backup.ts';\nexport type Shown = BackupOutcome;\n"],
		['source/cli/x.ts', "import {runBackup} from '../services/backup.ts';\nvoid runBackup;\n"],
	] as const) {
		assert.deepEqual(await refusals(file, code), [], `${file}: ${code}`);
	}
});
