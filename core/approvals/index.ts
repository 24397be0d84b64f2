export { BodySpool } from './spool.js';
export { GcsReviewStore } from './gcs-store.js';
export { MemoryReviewStore } from './memory-store.js';
export { createReviewStore, Reviews, type Hold, type HoldOutcome, type HoldSubject, type ReviewsOptions } from './reviews.js';
export { publicReview, reviewRoutes, type VerifyAdminToken } from './routes.js';
export type { ReviewDecision, ReviewRecord, ReviewState, ReviewStore, UploadBinding } from './types.js';
