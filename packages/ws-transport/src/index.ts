export { createTransport } from './transport.js';
export type {
  Transport,
  TransportOptions,
  TransportState,
  WsRoute,
  UpgradeRequest,
  UpgradeDecision,
  BackpressureOptions,
  PublishOptions,
  PublishResult,
  CloseOptions,
  ShutdownReport,
  HttpRouter,
} from './transport.js';
export type { Connection, SendOptions, SendResult } from './connection.js';
export { CloseCodes } from './connection.js';
export {
  compose,
  standardPipeline,
  errorFrames,
  sizeLimit,
  parse,
  correlationId,
  rateLimit,
  validate,
  identity,
  dedupe,
  timing,
  defaultErrorFormatter,
  defaultEventOf,
} from './pipeline.js';
export type {
  FrameContext,
  Middleware,
  ErrorFormatter,
  ParseOptions,
  RateLimitDecision,
  ValidationResult,
  DedupeOptions,
  StandardPipelineOptions,
} from './pipeline.js';
export { jsonCodec, msgpackCodec, codecFor } from './codec.js';
export type { Codec, CodecName } from './codec.js';
export type { HttpContext, HttpHandler, HttpMiddleware, HttpStream } from './http/context.js';
export type { StaticFilesOptions } from './http/static-files.js';
export { defaultCacheControl, contentTypeOf } from './http/static-files.js';
export { parseCookies, serializeCookie } from './internal/cookies.js';
export type { CookieOptions } from './internal/cookies.js';
export type { ResumeRequest, ResumeResult, RoomPosition } from './resume.js';
export type { MetricsHooks, TransportStats } from './metrics.js';
export { TransportError, FrameError, HttpError } from './errors.js';
export type { TransportErrorCode } from './errors.js';
export { silentLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';
