// Lint: the project's style as it is, plus the layer rules of docs/architecture.md as import
// restrictions (cli → ui / services → engines, binlog, wal → storage → core).
import tseslint from 'typescript-eslint';

const layers = ['core', 'storage', 'engines', 'binlog', 'wal', 'services', 'ui', 'cli', 'sandbox'];

/** Imports of these layers (relative paths from anywhere below source/) are refused, with why. */
function refuse(names, message, allowTypeImports = false) {
	return {group: names.flatMap((name) => [`**/${name}/*`, `**/${name}/**`]), message, allowTypeImports};
}

function restricted(...patterns) {
	return {'@typescript-eslint/no-restricted-imports': ['error', {patterns}]};
}

export default tseslint.config(
	{ignores: ['dist/**', 'node_modules/**', 'media/**', 'bench/results/**']},
	...tseslint.configs.recommended,
	{
		files: ['**/*.ts', '**/*.tsx'],
		rules: {
			'@typescript-eslint/no-explicit-any': 'off',
			'@typescript-eslint/no-non-null-assertion': 'off',
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true}],
			// a lazily loaded module's type is named with typeof import(…)
			'@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports', disallowTypeAnnotations: false}],
			// a variable that closures read before the one assignment that follows stays a let
			'prefer-const': ['error', {ignoreReadBeforeAssign: true}],
			'no-constant-condition': ['error', {checkLoops: false}],
			eqeqeq: ['error', 'always'],
		},
	},
	{files: ['source/core/**'], rules: restricted(refuse(layers.filter((name) => name !== 'core'), 'core imports nothing above it.'))},
	{files: ['source/storage/**'], rules: restricted(refuse(['engines', 'binlog', 'wal', 'services', 'ui', 'cli', 'sandbox'], 'storage knows no engine, binlog, WAL, service or screen.'))},
	{files: ['source/engines/**'], rules: restricted(refuse(['binlog', 'wal', 'services', 'ui', 'cli', 'sandbox'], 'engines report through the event bus; they know no UI, service, binlog or WAL code.'))},
	{files: ['source/binlog/**'], rules: restricted(refuse(['engines', 'wal', 'services', 'ui', 'cli', 'sandbox'], 'binlog knows no UI, service, engine or WAL code.'))},
	{files: ['source/wal/**'], rules: restricted(refuse(['engines', 'binlog', 'services', 'ui', 'cli', 'sandbox'], 'wal knows no UI, service, engine or binlog code.'))},
	{
		files: ['source/services/**'],
		rules: restricted(
			{group: ['**/engines/*/*', '!**/engines/*/index.ts'], message: 'services reach an engine only through its index.ts (or the engines registry, selector and types).'},
			refuse(['ui', 'cli'], 'services know no screen or command line.'),
		),
	},
	{
		files: ['source/ui/**'],
		rules: restricted(refuse(['services', 'engines', 'binlog', 'wal', 'storage', 'sandbox'], 'screens get data and actions through the controller; they import services, engines, binlog, WAL and storage only as types.', true), refuse(['cli'], 'screens know no command line.')),
	},
);
