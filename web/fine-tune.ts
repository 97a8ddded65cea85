// web/fine-tune.ts: how fine-tuning on the user's corrections is done: each
// correction repeated, mixed with MNIST so the network learns them without
// forgetting the rest; a few epochs at a gentle learning rate.

export const FINE_TUNE = { copies: 20, mnist: 2000, epochs: 3, eta: 0.5, miniBatchSize: 10 };
