export { clientAddressKey } from './key.js';
export {
  type StoreErrorMode,
  THROTTLE_DEFAULTS,
  type ThrottleKey,
  type ThrottleOptions,
} from './options.js';
export { throttle } from './throttle.js';
