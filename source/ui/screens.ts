import type {ScreenDefinition} from './screen.ts';
import {HOME_SCREEN_ID} from './screen.ts';
import {BackupScreen} from './screens/backup.tsx';
import {BackupsScreen} from './screens/backups.tsx';
import {BinlogTailScreen} from './screens/binlog-tail.tsx';
import {DemoScreen} from './screens/demo.tsx';
import {DetectionScreen} from './screens/detection.tsx';
import {EngineScreen} from './screens/engine.tsx';
import {HomeScreen} from './screens/home.tsx';
import {RestoreScreen} from './screens/restore.tsx';
import {WalTailScreen} from './screens/wal-tail.tsx';

const serverHints = [
	{key: '←/→', action: 'server'},
	{key: 'r', action: 'run again'},
];

/**
 * Every screen of the app. Adding one (a WAL tail, say) is one entry here; its `menu`
 * puts it on the home menu in registry order.
 */
export const screens: ScreenDefinition[] = [
	{
		id: HOME_SCREEN_ID,
		title: 'Home',
		component: HomeScreen,
		hints: [
			{key: '↑/↓', action: 'move'},
			{key: 'Enter', action: 'select'},
		],
	},
	{
		id: 'demo',
		title: 'Demo',
		component: DemoScreen,
		hints: [],
		menu: {
			label: 'Start demo (throwaway MariaDB + PostgreSQL)',
			placement: (controller) =>
				!controller.isConfigured() ? 'first' : controller.connectionState() === 'demo' ? 'hidden' : 'last',
		},
	},
	{id: 'detect', title: 'Environment', component: DetectionScreen, hints: serverHints, menu: {label: 'Detect environment'}},
	{id: 'engine', title: 'Engine selection', component: EngineScreen, hints: serverHints, menu: {label: 'Choose engine'}},
	// their steps set their own hints (useScreenKeys)
	{id: 'backup', title: 'Back up', component: BackupScreen, hints: [], menu: {label: 'Back up'}},
	{id: 'restore', title: 'Restore', component: RestoreScreen, hints: [], menu: {label: 'Restore'}},
	{id: 'backups', title: 'Backups', component: BackupsScreen, hints: [], menu: {label: 'Backups'}},
	{
		id: 'binlog-tail',
		title: 'Binlog stream',
		component: BinlogTailScreen,
		hints: [],
		// binary logs are MySQL/MariaDB's: no entry while only PostgreSQL servers are configured
		menu: {
			label: 'Tail binlog stream',
			placement: (controller) => (controller.servers().some((server) => server.dbType === 'mysql') ? 'normal' : 'hidden'),
		},
	},
	{
		id: 'wal-tail',
		title: 'WAL stream',
		component: WalTailScreen,
		hints: [],
		// WAL streaming is PostgreSQL's, and needs a controller that can run it
		menu: {
			label: 'Tail WAL stream',
			placement: (controller) =>
				controller.streamWal !== undefined && controller.servers().some((server) => server.dbType === 'postgres') ? 'normal' : 'hidden',
		},
	},
];
