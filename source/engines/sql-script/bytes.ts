/** ASCII byte classes the SQL script splitters and statement checks of both dialects scan with. */

/** space, tab, line feed, vertical tab, form feed, carriage return */
export const isSpace = (byte: number): boolean => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
export const isLetter = (byte: number): boolean => (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
export const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;
