export function htmlReport(_r: unknown[]): string { return ""; }
