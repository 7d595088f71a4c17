import type {ComponentType} from 'react';
import type {DbType} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';
import type {KeyHint} from './components/key-hints.tsx';
import type {AppController} from './controller.ts';

/** The engines picked on the engine screen in this run: Back up starts with them. */
export interface EnginePicks {
	/** by the kind of server they were picked for */
	engines: Partial<Record<DbType, string>>;
	/** the server of the last pick: Back up opens on it */
	dbType?: DbType;
}

/** What a screen hands the one it opens: the Backups screen gives Restore the backup to start from. */
export interface Handoff {
	/** a backup's path or s3:// URL: Restore opens it instead of listing */
	artifact?: string;
}

export interface ScreenProps {
	bus: EventBus;
	controller: AppController;
	/** every registered screen, so the home menu can list them */
	screens: ScreenDefinition[];
	/** opens screen `id`, handing it `handoff` (read once, as it mounts) */
	navigate: (id: string, handoff?: Handoff) => void;
	/** what the screen that opened this one handed it; undefined when opened from the menu */
	handoff?: Handoff;
	goHome: () => void;
	/** re-read the controller (connection label and state) after a call that changes it */
	refresh: () => void;
	enginePicks: EnginePicks;
	pickEngine: (dbType: DbType, engine: string) => void;
	exit: () => void;
}

/** Where a screen's item sits in the home menu, decided from the controller each time home shows. */
export type MenuPlacement = 'first' | 'normal' | 'last' | 'hidden';

export interface ScreenDefinition {
	id: string;
	/** shown in the header while the screen is open */
	title: string;
	component: ComponentType<ScreenProps>;
	/** keys this screen answers to; the frame adds Esc and q */
	hints: KeyHint[];
	/** the screen's entry in the home menu; screens without one are reached some other way */
	menu?: {label: string; placement?: (controller: AppController) => MenuPlacement};
}

export const HOME_SCREEN_ID = 'home';
