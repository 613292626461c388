export {
  type AuthorizerPipelineOptions,
  type LambdaPipelineOptions,
  PIPELINE_DEFAULTS,
  PIPELINE_ORDER,
  type PieceName,
  type PipelineOptions,
  type ResourcePolicyPipelineOptions,
} from './options.js';
export {
  type PipelineExtras,
  type PipelineMiddleware,
  type PipelinePieces,
  pipeline,
} from './pipeline.js';
