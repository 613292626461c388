/** portcullis as built by the root `npm run build` (the bench measures the dist/ users get). */

export { gateway, memoryCacheStore, memoryStore } from '../../dist/index.js';
