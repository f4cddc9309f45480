declare module "govuk-frontend" {
  export function initAll(config?: { scope?: Element }): void;
}
