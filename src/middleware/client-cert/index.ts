export { clientCert } from './client-cert.js';
export { CLIENT_CERT_DEFAULTS, type ClientCertOptions, type ClientCertRule } from './options.js';
