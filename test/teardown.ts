// Stop the GEMM worker threads after each test file, so jest's workers exit promptly.
import { shutdownGemmThreads } from '../src';

afterAll(() => shutdownGemmThreads());
