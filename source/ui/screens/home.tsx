import {Box, Text} from 'ink';
import SelectInput from 'ink-select-input';
import type {AppController} from '../controller.ts';
import type {MenuPlacement, ScreenDefinition, ScreenProps} from '../screen.ts';

export const QUIT_ITEM = {label: 'Quit', value: 'quit'} as const;

const placementOrder: Record<Exclude<MenuPlacement, 'hidden'>, number> = {first: 0, normal: 1, last: 2};

/** The registered screens' menu entries in placement order (stable within a placement), then Quit. */
export function menuItems(screens: ScreenDefinition[], controller: AppController): Array<{label: string; value: string}> {
	const entries = screens.flatMap((screen) => {
		if (!screen.menu) return [];
		const placement = screen.menu.placement?.(controller) ?? 'normal';
		return placement === 'hidden' ? [] : [{placement, item: {label: screen.menu.label, value: screen.id}}];
	});
	entries.sort((a, b) => placementOrder[a.placement] - placementOrder[b.placement]);
	return [...entries.map((entry) => entry.item), {...QUIT_ITEM}];
}

export function HomeScreen({controller, screens, navigate, exit}: ScreenProps) {
	const items = menuItems(screens, controller);
	return (
		<Box flexDirection="column">
			<Text>Back up and restore MySQL/MariaDB and PostgreSQL through their own protocols.</Text>
			{controller.isConfigured() ? null : (
				<Text color="yellow">
					No server configured: start the demo, or give --host/--db-type, set MYSQL_HOST / PGHOST, or write a
					.dbbackuprc.
				</Text>
			)}
			<Box marginTop={1}>
				<SelectInput items={items} onSelect={(item) => (item.value === QUIT_ITEM.value ? exit() : navigate(item.value))} />
			</Box>
		</Box>
	);
}
