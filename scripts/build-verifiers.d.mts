export function buildVerifierScript(): Promise<string>;
export function buildVerifierPage(): Promise<string>;
