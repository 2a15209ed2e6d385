// Storefront configuration, read at build time.
export const apiBaseUrl = process.env.API_BASE_URL;
export const cdnUrl = process.env.CDN_URL || "http://localhost:9000";
export const sessionSecret = process.env["SESSION_SECRET"];
export const logLevel = process.env.LOG_LEVEL ?? "info";
