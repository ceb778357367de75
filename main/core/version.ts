declare const __STUDIO_VERSION__: string | undefined;

/** Injected by the build; tests running from source fall back to the package's version. */
export const STUDIO_VERSION: string = typeof __STUDIO_VERSION__ === 'string' ? __STUDIO_VERSION__ : '0.0.0-dev';
