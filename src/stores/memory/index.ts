export { gcra } from './gcra.js';
export {
  MEMORY_STORE_DEFAULTS,
  type MemoryStore,
  type MemoryStoreOptions,
  memoryStore,
} from './memory-store.js';
