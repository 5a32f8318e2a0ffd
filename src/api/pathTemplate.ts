/**
 * Routes are written once, in OpenAPI's form (`/v1/profiles/{profileId}`); the router's form and the
 * parameter names are derived from it.
 */
export const pathParamNames = (template: string): ReadonlyArray<string> =>
  [...template.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1] as string);

export const routerPath = (template: string): string => template.replace(/\{([A-Za-z]+)\}/g, ':$1');
