export { ipFilter } from './ip-filter.js';
export { IP_FILTER_DEFAULTS, type IpFilterOptions } from './options.js';
