/**
 * Turns a terminal capture with SGR colour codes (`tmux capture-pane -e -p`) into an SVG, so the
 * screenshots in media/ come from real runs. Usage: node --import tsx scripts/ansi-to-svg.ts in.ansi out.svg [title]
 */
import {readFileSync, writeFileSync} from 'node:fs';

const PALETTE: Record<number, string> = {
	30: '#3b4252', 31: '#e06c75', 32: '#98c379', 33: '#e5c07b', 34: '#61afef', 35: '#c678dd', 36: '#56b6c2', 37: '#dcdfe4',
	90: '#7f848e', 91: '#ff7b86', 92: '#b5e890', 93: '#ffd68a', 94: '#8cc8ff', 95: '#e2a4f5', 96: '#7fd8e3', 97: '#ffffff',
};
const FOREGROUND = '#dcdfe4';
const BACKGROUND = '#1e2127';
const CELL_WIDTH = 8.4;
const LINE_HEIGHT = 17;

interface Style {
	color: string;
	bold: boolean;
	dim: boolean;
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function applySgr(style: Style, codes: number[]): Style {
	const next = {...style};
	for (let index = 0; index < codes.length; index++) {
		const code = codes[index]!;
		if (code === 0) Object.assign(next, {color: FOREGROUND, bold: false, dim: false});
		else if (code === 1) next.bold = true;
		else if (code === 2) next.dim = true;
		else if (code === 22) Object.assign(next, {bold: false, dim: false});
		else if (code === 39) next.color = FOREGROUND;
		else if (PALETTE[code]) next.color = PALETTE[code]!;
		else if (code === 38 && codes[index + 1] === 5) {
			const n = codes[index + 2]!;
			next.color = n < 8 ? PALETTE[30 + n]! : n < 16 ? PALETTE[90 + n - 8]! : FOREGROUND;
			index += 2;
		}
	}
	return next;
}

export function ansiToSvg(capture: string, title: string): string {
	const lines = capture.replace(/\s+$/, '').split('\n');
	const columns = Math.max(80, ...lines.map((line) => line.replace(/\u001B\[[0-9;]*m/g, '').length));
	const width = Math.ceil(columns * CELL_WIDTH + 32);
	const height = lines.length * LINE_HEIGHT + 56;
	const rows: string[] = [];
	let style: Style = {color: FOREGROUND, bold: false, dim: false};
	lines.forEach((line, row) => {
		const spans: string[] = [];
		for (const part of line.split(/(\u001B\[[0-9;]*m)/)) {
			const sgr = /^\u001B\[([0-9;]*)m$/.exec(part);
			if (sgr) {
				style = applySgr(style, (sgr[1] || '0').split(';').map(Number));
				continue;
			}
			if (part === '') continue;
			const attributes = [`fill="${style.color}"`];
			if (style.bold) attributes.push('font-weight="bold"');
			if (style.dim) attributes.push('fill-opacity="0.6"');
			spans.push(`<tspan ${attributes.join(' ')}>${escapeXml(part)}</tspan>`);
		}
		rows.push(`<text x="16" y="${44 + row * LINE_HEIGHT}" xml:space="preserve">${spans.join('')}</text>`);
	});
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, monospace" font-size="14">`,
		`<rect width="100%" height="100%" rx="8" fill="${BACKGROUND}"/>`,
		`<text x="16" y="20" fill="#7f848e" font-size="12">${escapeXml(title)}</text>`,
		...rows,
		'</svg>',
		'',
	].join('\n');
}

const [input, output, title = 'dbbackup'] = process.argv.slice(2);
if (input && output) writeFileSync(output, ansiToSvg(readFileSync(input, 'utf8'), title));
