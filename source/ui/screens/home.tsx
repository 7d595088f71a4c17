import {Box, Text} from 'ink';
import {Menu, type MenuItem} from '../components/menu.tsx';
import type {AppController} from '../controller.ts';
import {rowsLeft, textRows, useBodySize} from '../layout.ts';
import type {MenuPlacement, ScreenDefinition, ScreenProps} from '../screen.ts';

export const QUIT_ITEM = {label: 'Quit', value: 'quit'} as const;

const INTRO = 'Back up and restore MySQL/MariaDB and PostgreSQL through their own protocols.';
const NOT_CONFIGURED = 'No server configured: start the demo, or give --host/--db-type, set MYSQL_HOST / PGHOST, or write a .dbbackuprc.';

const placementOrder: Record<Exclude<MenuPlacement, 'hidden'>, number> = {first: 0, normal: 1, last: 2};

/** The registered screens' menu entries in placement order (stable within a placement), then Quit. */
export function menuItems(screens: ScreenDefinition[], controller: AppController): MenuItem[] {
	const entries = screens.flatMap((screen) => {
		if (!screen.menu) return [];
		const placement = screen.menu.placement?.(controller) ?? 'normal';
		return placement === 'hidden' ? [] : [{placement, item: {label: screen.menu.label, value: screen.id}}];
	});
	entries.sort((a, b) => placementOrder[a.placement] - placementOrder[b.placement]);
	return [...entries.map((entry) => entry.item), {...QUIT_ITEM}];
}

export function HomeScreen({controller, screens, navigate, exit}: ScreenProps) {
	const {columns, rows} = useBodySize();
	const items = menuItems(screens, controller);
	const configured = controller.isConfigured();
	const introRows = textRows(INTRO, columns) + (configured ? 0 : textRows(NOT_CONFIGURED, columns));
	return (
		<Box flexDirection="column">
			<Text>{INTRO}</Text>
			{configured ? null : <Text color="yellow">{NOT_CONFIGURED}</Text>}
			<Box marginTop={1}>
				<Menu
					items={items}
					rows={rowsLeft(rows, introRows + 1, 3)}
					onSelect={(item) => (item.value === QUIT_ITEM.value ? exit() : navigate(item.value))}
				/>
			</Box>
		</Box>
	);
}
