/**
 * Secrets (passwords, keys) register here when they are read, and every message, hint and log line
 * passes through `redact` before it is shown or written, so a secret never reaches output.
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

export function registerSecret(secret: string | undefined | null): void {
	// Very short strings would redact ordinary words; such passwords still never reach output because
	// nothing in the product prints a password, this is only the last line of defence.
	if (secret && secret.length >= 3) secrets.add(secret);
}

export function redact(text: string): string {
	let out = text;
	for (const secret of secrets) {
		if (out.includes(secret)) out = out.split(secret).join(REDACTED);
	}
	return out;
}

/** Redacts secrets inside any JSON-able value (strings at any depth). */
export function redactValue<T>(value: T): T {
	if (typeof value === 'string') return redact(value) as T;
	if (Array.isArray(value)) return value.map((item) => redactValue(item)) as T;
	if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
		const out: Record<string, unknown> = {};
		for (const [key, item] of Object.entries(value)) out[key] = redactValue(item);
		return out as T;
	}
	return value;
}

export function clearSecretsForTests(): void {
	secrets.clear();
}
