/*
 * anchor._blake2b: BLAKE2b-256 (RFC 7693, unkeyed, 32-byte digest) for hashing large files.
 *
 * Why this exists: `anchor collect --dual-hash` computes SHA-256 and BLAKE2b-256 of every
 * byte. OpenSSL's SHA-256 uses the CPU's SHA extensions; CPython's hashlib BLAKE2b is
 * portable SSE2 code and costs about twice as much per byte, which makes it the larger
 * half of the work (docs/adr/0007-native-blake2b.md). This module computes exactly the
 * same function with the compression vectorised for AVX2 or AVX-512VL, picked at run
 * time, and a portable C version for every other CPU.
 *
 * Vectorisation: the 16 state words are four rows of four 64-bit lanes, so one vector
 * instruction does the same step of four G functions. Between the column and the
 * diagonal half-rounds the rows must be rotated against each other; the usual code
 * rotates rows b, c and d, which puts a 3-cycle cross-lane permute on the critical path
 * (b is the last value a G function produces and the first the next one needs). Here
 * row b stays put and rows a, c and d rotate instead: each of those is finished several
 * instructions before it is next read, so the permutes overlap other work. The message
 * words of each half-round are ordered to match the lanes this leaves them in.
 *
 * The GIL is released while hashing buffers of 2048 bytes or more (as hashlib does), so
 * threads hash different files in parallel. An object is not safe to update from two
 * threads at once (a lock guards against that misuse, as in hashlib).
 *
 * Written from RFC 7693; checked against hashlib on every length 0-1100, on random
 * splits of multi-megabyte inputs, and against the standard's hash vectors (tests).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ANCHOR_X86 1
#include <immintrin.h>
#else
#define ANCHOR_X86 0
#endif

#define BLOCK 128
#define OUTLEN 32
#define GIL_MIN 2048
#define MAX_LANES 64 /* hashers per update_many call */

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

/* Message word order per round for the vector code: for the column half-round the lanes
 * hold G0..G3, for the diagonal half-round (rows a, c, d rotated, b fixed) lane j holds
 * the G whose b word is v[4 + j]: G7, G4, G5, G6. Each row: x words then y words of the
 * column half-round, then x and y words of the diagonal half-round. */
static uint8_t VORDER[12][16];

static void build_vorder(void)
{
    static const int diag_g[4] = {3, 0, 1, 2}; /* lane j -> diagonal G index (4 + g) */
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = SIGMA[r];
        for (int j = 0; j < 4; j++) {
            VORDER[r][j] = s[2 * j];
            VORDER[r][4 + j] = s[2 * j + 1];
            VORDER[r][8 + j] = s[8 + 2 * diag_g[j]];
            VORDER[r][12 + j] = s[8 + 2 * diag_g[j] + 1];
        }
    }
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Rotate right; a macro so the four-message code can use it on vectors too. */
#define ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

/* ---- streaming state ------------------------------------------------------------------ */

typedef struct {
    uint64_t h[8];
    uint64_t t[2];
    uint8_t buf[BLOCK];
    size_t buflen; /* 0..BLOCK; a full block is kept until more input shows it is not last */
} state_t;

/* ---- portable compression ------------------------------------------------------------ */

#define G(a, b, c, d, x, y)                 \
    do {                                    \
        a = a + b + (x);                    \
        d = ROTR(d ^ a, 32);              \
        c = c + d;                          \
        b = ROTR(b ^ c, 24);              \
        a = a + b + (y);                    \
        d = ROTR(d ^ a, 16);              \
        c = c + d;                          \
        b = ROTR(b ^ c, 63);              \
    } while (0)

static void compress_portable(uint64_t h[8], uint64_t t[2], const uint8_t *data, size_t nblocks,
                              uint64_t inc, int last)
{
    for (size_t blk = 0; blk < nblocks; blk++, data += BLOCK) {
        uint64_t m[16], v[16];
        t[0] += inc;
        if (t[0] < inc) t[1]++;
        for (int i = 0; i < 16; i++) m[i] = load64(data + 8 * i);
        for (int i = 0; i < 8; i++) {
            v[i] = h[i];
            v[i + 8] = IV[i];
        }
        v[12] ^= t[0];
        v[13] ^= t[1];
        if (last) v[14] = ~v[14];
        for (int r = 0; r < 12; r++) {
            const uint8_t *s = SIGMA[r];
            G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
            G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
            G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
            G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
            G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
            G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
            G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
            G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }
}

/* ---- vector compression (x86-64) ----------------------------------------------------- */

#if ANCHOR_X86

/* Rows a, c, d into diagonal position and back (b stays). */
#define DIAG_A _MM_SHUFFLE(2, 1, 0, 3)
#define DIAG_C _MM_SHUFFLE(0, 3, 2, 1)
#define DIAG_D _MM_SHUFFLE(1, 0, 3, 2)
#define UNDIAG_A _MM_SHUFFLE(0, 3, 2, 1)
#define UNDIAG_C _MM_SHUFFLE(2, 1, 0, 3)
#define UNDIAG_D _MM_SHUFFLE(1, 0, 3, 2)

#define HALF(a, b, c, d, x, y, ROR32, ROR24, ROR16, ROR63) \
    do {                                                     \
        a = _mm256_add_epi64(_mm256_add_epi64(a, x), b);     \
        d = ROR32(_mm256_xor_si256(d, a));                   \
        c = _mm256_add_epi64(c, d);                          \
        b = ROR24(_mm256_xor_si256(b, c));                   \
        a = _mm256_add_epi64(_mm256_add_epi64(a, y), b);     \
        d = ROR16(_mm256_xor_si256(d, a));                   \
        c = _mm256_add_epi64(c, d);                          \
        b = ROR63(_mm256_xor_si256(b, c));                   \
    } while (0)

#define ROUND(a, b, c, d, x0, y0, x1, y1, R32, R24, R16, R63)   \
    do {                                                         \
        HALF(a, b, c, d, x0, y0, R32, R24, R16, R63);            \
        a = _mm256_permute4x64_epi64(a, DIAG_A);                 \
        c = _mm256_permute4x64_epi64(c, DIAG_C);                 \
        d = _mm256_permute4x64_epi64(d, DIAG_D);                 \
        HALF(a, b, c, d, x1, y1, R32, R24, R16, R63);            \
        a = _mm256_permute4x64_epi64(a, UNDIAG_A);               \
        c = _mm256_permute4x64_epi64(c, UNDIAG_C);               \
        d = _mm256_permute4x64_epi64(d, UNDIAG_D);               \
    } while (0)

__attribute__((target("avx2"))) static inline __m256i ror32_avx2(__m256i x)
{
    return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1));
}
__attribute__((target("avx2"))) static inline __m256i ror24_avx2(__m256i x)
{
    const __m256i r24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3,
                                         4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    return _mm256_shuffle_epi8(x, r24);
}
__attribute__((target("avx2"))) static inline __m256i ror16_avx2(__m256i x)
{
    const __m256i r16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2,
                                         3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    return _mm256_shuffle_epi8(x, r16);
}
__attribute__((target("avx2"))) static inline __m256i ror63_avx2(__m256i x)
{
    return _mm256_xor_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x));
}

__attribute__((target("avx2"))) static inline __m256i gather4(const uint64_t *m, const uint8_t *o)
{
    return _mm256_setr_epi64x((long long)m[o[0]], (long long)m[o[1]], (long long)m[o[2]],
                              (long long)m[o[3]]);
}

__attribute__((target("avx2"))) static void compress_avx2(uint64_t h[8], uint64_t t[2],
                                                          const uint8_t *data, size_t nblocks,
                                                          uint64_t inc, int last)
{
    __m256i h0 = _mm256_loadu_si256((const __m256i *)(const void *)h);
    __m256i h1 = _mm256_loadu_si256((const __m256i *)(const void *)(h + 4));
    const __m256i iv0 = _mm256_loadu_si256((const __m256i *)(const void *)IV);
    const __m256i iv1 = _mm256_loadu_si256((const __m256i *)(const void *)(IV + 4));
    for (size_t blk = 0; blk < nblocks; blk++, data += BLOCK) {
        uint64_t m[16];
        t[0] += inc;
        if (t[0] < inc) t[1]++;
        memcpy(m, data, BLOCK);
        __m256i a = h0, b = h1, c = iv0;
        __m256i d = _mm256_xor_si256(
            iv1, _mm256_setr_epi64x((long long)t[0], (long long)t[1], last ? -1LL : 0LL, 0));
        for (int r = 0; r < 12; r++) {
            const uint8_t *o = VORDER[r];
            __m256i x0 = gather4(m, o), y0 = gather4(m, o + 4);
            __m256i x1 = gather4(m, o + 8), y1 = gather4(m, o + 12);
            ROUND(a, b, c, d, x0, y0, x1, y1, ror32_avx2, ror24_avx2, ror16_avx2, ror63_avx2);
        }
        h0 = _mm256_xor_si256(h0, _mm256_xor_si256(a, c));
        h1 = _mm256_xor_si256(h1, _mm256_xor_si256(b, d));
    }
    _mm256_storeu_si256((__m256i *)(void *)h, h0);
    _mm256_storeu_si256((__m256i *)(void *)(h + 4), h1);
}

#define AVX512 __attribute__((target("avx2,avx512f,avx512vl")))

AVX512 static inline __m256i ror32_512(__m256i x) { return _mm256_ror_epi64(x, 32); }
AVX512 static inline __m256i ror24_512(__m256i x) { return _mm256_ror_epi64(x, 24); }
AVX512 static inline __m256i ror16_512(__m256i x) { return _mm256_ror_epi64(x, 16); }
AVX512 static inline __m256i ror63_512(__m256i x) { return _mm256_ror_epi64(x, 63); }

/* Per round, two 8-lane index vectors picking (x, y) words out of the 16 message words. */
static int64_t VIDX[12][2][8];

static void build_vidx(void)
{
    for (int r = 0; r < 12; r++)
        for (int k = 0; k < 16; k++) VIDX[r][k / 8][k % 8] = VORDER[r][k];
}

AVX512 static void compress_avx512(uint64_t h[8], uint64_t t[2], const uint8_t *data,
                                   size_t nblocks, uint64_t inc, int last)
{
    __m256i h0 = _mm256_loadu_si256((const __m256i *)(const void *)h);
    __m256i h1 = _mm256_loadu_si256((const __m256i *)(const void *)(h + 4));
    const __m256i iv0 = _mm256_loadu_si256((const __m256i *)(const void *)IV);
    const __m256i iv1 = _mm256_loadu_si256((const __m256i *)(const void *)(IV + 4));
    __m512i idx[12][2];
    for (int r = 0; r < 12; r++) {
        idx[r][0] = _mm512_loadu_si512((const void *)VIDX[r][0]);
        idx[r][1] = _mm512_loadu_si512((const void *)VIDX[r][1]);
    }
    for (size_t blk = 0; blk < nblocks; blk++, data += BLOCK) {
        t[0] += inc;
        if (t[0] < inc) t[1]++;
        const __m512i m0 = _mm512_loadu_si512((const void *)data);
        const __m512i m1 = _mm512_loadu_si512((const void *)(data + 64));
        __m256i a = h0, b = h1, c = iv0;
        __m256i d = _mm256_xor_si256(
            iv1, _mm256_setr_epi64x((long long)t[0], (long long)t[1], last ? -1LL : 0LL, 0));
        for (int r = 0; r < 12; r++) {
            const __m512i xy0 = _mm512_permutex2var_epi64(m0, idx[r][0], m1);
            const __m512i xy1 = _mm512_permutex2var_epi64(m0, idx[r][1], m1);
            __m256i x0 = _mm512_castsi512_si256(xy0), y0 = _mm512_extracti64x4_epi64(xy0, 1);
            __m256i x1 = _mm512_castsi512_si256(xy1), y1 = _mm512_extracti64x4_epi64(xy1, 1);
            ROUND(a, b, c, d, x0, y0, x1, y1, ror32_512, ror24_512, ror16_512, ror63_512);
        }
        h0 = _mm256_xor_si256(h0, _mm256_xor_si256(a, c));
        h1 = _mm256_xor_si256(h1, _mm256_xor_si256(b, d));
    }
    _mm256_storeu_si256((__m256i *)(void *)h, h0);
    _mm256_storeu_si256((__m256i *)(void *)(h + 4), h1);
}

#endif /* ANCHOR_X86 */

/* ---- four messages at once ------------------------------------------------------------ */

/* One vector holds the same state word of four independent messages, so the code is the
 * portable G function on vectors: no permutes, four times the work per instruction. This
 * is what makes hashing several files per thread cheaper than one after the other. */
#if defined(__GNUC__) || defined(__clang__)
#define ANCHOR_LANES 1
typedef uint64_t v4u64 __attribute__((vector_size(32)));

#define KERNEL4(NAME, ATTR)                                                                  \
    ATTR static void NAME(state_t *s[4], const uint8_t *p[4], size_t nblocks)               \
    {                                                                                        \
        v4u64 H[8];                                                                          \
        for (int i = 0; i < 8; i++) H[i] = (v4u64){s[0]->h[i], s[1]->h[i], s[2]->h[i], s[3]->h[i]}; \
        v4u64 T0 = {s[0]->t[0], s[1]->t[0], s[2]->t[0], s[3]->t[0]};                         \
        v4u64 T1 = {s[0]->t[1], s[1]->t[1], s[2]->t[1], s[3]->t[1]};                         \
        const v4u64 inc = {BLOCK, BLOCK, BLOCK, BLOCK};                                      \
        for (size_t blk = 0; blk < nblocks; blk++) {                                         \
            v4u64 m[16], v[16];                                                              \
            const size_t off = blk * BLOCK;                                                  \
            for (int i = 0; i < 16; i++)                                                     \
                m[i] = (v4u64){load64(p[0] + off + 8 * i), load64(p[1] + off + 8 * i),       \
                               load64(p[2] + off + 8 * i), load64(p[3] + off + 8 * i)};      \
            T0 = T0 + inc;                                                                   \
            T1 = T1 - (v4u64)(T0 < inc); /* carry: a true comparison is all ones (-1) */    \
            for (int i = 0; i < 8; i++) {                                                    \
                v[i] = H[i];                                                                 \
                v[i + 8] = (v4u64){IV[i], IV[i], IV[i], IV[i]};                              \
            }                                                                                \
            v[12] ^= T0;                                                                     \
            v[13] ^= T1;                                                                     \
            _Pragma("GCC unroll 12") for (int r = 0; r < 12; r++)                            \
            {                                                                                \
                const uint8_t *g = SIGMA[r];                                                 \
                G(v[0], v[4], v[8], v[12], m[g[0]], m[g[1]]);                                \
                G(v[1], v[5], v[9], v[13], m[g[2]], m[g[3]]);                                \
                G(v[2], v[6], v[10], v[14], m[g[4]], m[g[5]]);                               \
                G(v[3], v[7], v[11], v[15], m[g[6]], m[g[7]]);                               \
                G(v[0], v[5], v[10], v[15], m[g[8]], m[g[9]]);                               \
                G(v[1], v[6], v[11], v[12], m[g[10]], m[g[11]]);                             \
                G(v[2], v[7], v[8], v[13], m[g[12]], m[g[13]]);                              \
                G(v[3], v[4], v[9], v[14], m[g[14]], m[g[15]]);                              \
            }                                                                                \
            for (int i = 0; i < 8; i++) H[i] ^= v[i] ^ v[i + 8];                             \
        }                                                                                    \
        for (int i = 0; i < 8; i++)                                                          \
            for (int l = 0; l < 4; l++) s[l]->h[i] = H[i][l];                                \
        for (int l = 0; l < 4; l++) {                                                        \
            s[l]->t[0] = T0[l];                                                              \
            s[l]->t[1] = T1[l];                                                              \
        }                                                                                    \
    }

KERNEL4(compress4_portable, )
#if ANCHOR_X86
KERNEL4(compress4_avx2, __attribute__((target("avx2"))))
KERNEL4(compress4_avx512, __attribute__((target("avx2,avx512f,avx512vl"))))
#endif
#else
#define ANCHOR_LANES 0
#endif

typedef void (*compress4_fn)(state_t *[4], const uint8_t *[4], size_t);

typedef void (*compress_fn)(uint64_t[8], uint64_t[2], const uint8_t *, size_t, uint64_t, int);

static compress_fn compress = compress_portable;
#if ANCHOR_LANES
static compress4_fn compress4 = compress4_portable;
#else
static compress4_fn compress4 = NULL;
#endif
static const char *impl_name = "portable";
/* Fewest real inputs worth a four-message call: with AVX-512 two inputs and two copies
 * cost less than two single calls; with AVX2 or portable code it takes three. */
static Py_ssize_t lanes_min_group = 3;

/* The best compression this CPU has, or ``forced`` ("portable", "avx2", "avx512") if it
 * has that; the single-message and four-message code always come from the same family. */
static void pick_implementation(const char *forced)
{
    compress = compress_portable;
#if ANCHOR_LANES
    compress4 = compress4_portable;
#endif
    impl_name = "portable";
    lanes_min_group = 3;
#if ANCHOR_X86 && !defined(__BIG_ENDIAN__)
    __builtin_cpu_init();
    int has_avx2 = __builtin_cpu_supports("avx2");
    int has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") &&
                     __builtin_cpu_supports("avx512vl");
    if (forced != NULL && strcmp(forced, "portable") == 0) return;
    if (has_avx512 && (forced == NULL || strcmp(forced, "avx512") == 0)) {
        compress = compress_avx512;
        compress4 = compress4_avx512;
        impl_name = "avx512";
        lanes_min_group = 2;
    } else if (has_avx2 && (forced == NULL || strcmp(forced, "avx2") == 0 ||
                            strcmp(forced, "avx512") == 0)) {
        compress = compress_avx2;
        compress4 = compress4_avx2;
        impl_name = "avx2";
    }
#else
    (void)forced;
#endif
}

static void state_init(state_t *s)
{
    memcpy(s->h, IV, sizeof IV);
    s->h[0] ^= 0x01010000ULL ^ (uint64_t)OUTLEN; /* depth 1, fanout 1, no key, 32 bytes */
    s->t[0] = s->t[1] = 0;
    s->buflen = 0;
}

static void state_update(state_t *s, const uint8_t *in, size_t len, compress_fn fn)
{
    if (len == 0) return;
    size_t room = BLOCK - s->buflen;
    if (len > room) {
        memcpy(s->buf + s->buflen, in, room);
        in += room;
        len -= room;
        fn(s->h, s->t, s->buf, 1, BLOCK, 0);
        s->buflen = 0;
        if (len > BLOCK) {
            size_t n = (len - 1) / BLOCK; /* keep at least one byte for the last block */
            fn(s->h, s->t, in, n, BLOCK, 0);
            in += n * BLOCK;
            len -= n * BLOCK;
        }
    }
    memcpy(s->buf + s->buflen, in, len);
    s->buflen += len;
}

static void state_digest(const state_t *s, uint8_t out[OUTLEN], compress_fn fn)
{
    state_t f = *s;
    memset(f.buf + f.buflen, 0, BLOCK - f.buflen);
    fn(f.h, f.t, f.buf, 1, (uint64_t)f.buflen, 1);
    for (int i = 0; i < OUTLEN / 8; i++) {
        uint64_t w = f.h[i];
        for (int k = 0; k < 8; k++) out[8 * i + k] = (uint8_t)(w >> (8 * k));
    }
}

/* Update several states, each with its own input, as state_update would one by one, with
 * the blocks that every state of a group of four compresses anyway done four at a time. */
static void update_lanes(state_t **st, const uint8_t **in, size_t *len, Py_ssize_t n,
                         compress_fn fn, compress4_fn fn4, Py_ssize_t min_group)
{
    size_t blocks[MAX_LANES];
    for (Py_ssize_t i = 0; i < n; i++) {
        state_t *s = st[i];
        blocks[i] = 0;
        if (len[i] == 0) continue;
        if (s->buflen > 0) { /* top up the held bytes; compress them if more input follows */
            size_t room = BLOCK - s->buflen;
            if (len[i] <= room) {
                memcpy(s->buf + s->buflen, in[i], len[i]);
                s->buflen += len[i];
                len[i] = 0;
                continue;
            }
            memcpy(s->buf + s->buflen, in[i], room);
            in[i] += room;
            len[i] -= room;
            fn(s->h, s->t, s->buf, 1, BLOCK, 0);
            s->buflen = 0;
        }
        blocks[i] = (len[i] - 1) / BLOCK; /* the last 1..128 bytes stay held */
    }
    if (fn4 != NULL) {
        /* Groups of four among the states with blocks to do; a group of two or three is
         * padded with a scratch state that hashes a copy of the first one's input, when
         * that is still cheaper than one at a time (min_group). */
        Py_ssize_t order[MAX_LANES];
        Py_ssize_t k = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            if (blocks[i] > 0) order[k++] = i;
        for (Py_ssize_t g = 0; g + min_group <= k; g += 4) {
            state_t scratch[4]; /* padding lanes: j - members is 0..3 */
            state_t *sv[4];
            const uint8_t *pv[4];
            Py_ssize_t members = k - g < 4 ? k - g : 4;
            size_t common = blocks[order[g]];
            for (Py_ssize_t j = 0; j < members; j++)
                if (blocks[order[g + j]] < common) common = blocks[order[g + j]];
            for (Py_ssize_t j = 0; j < 4; j++) {
                if (j < members) {
                    sv[j] = st[order[g + j]];
                    pv[j] = in[order[g + j]];
                } else {
                    scratch[j - members] = *st[order[g]];
                    sv[j] = &scratch[j - members];
                    pv[j] = in[order[g]];
                }
            }
            fn4(sv, pv, common);
            for (Py_ssize_t j = 0; j < members; j++) {
                Py_ssize_t i = order[g + j];
                in[i] += common * BLOCK;
                len[i] -= common * BLOCK;
                blocks[i] -= common;
            }
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        state_t *s = st[i];
        if (blocks[i] > 0) {
            fn(s->h, s->t, in[i], blocks[i], BLOCK, 0);
            in[i] += blocks[i] * BLOCK;
            len[i] -= blocks[i] * BLOCK;
        }
        if (len[i] > 0) {
            memcpy(s->buf + s->buflen, in[i], len[i]);
            s->buflen += len[i];
        }
    }
}

/* ---- Python type ---------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD state_t st;
    PyThread_type_lock lock;
} B2Object;

static int update_from(B2Object *self, PyObject *data)
{
    Py_buffer view;
    if (PyUnicode_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "Strings must be encoded before hashing");
        return -1;
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return -1;
    compress_fn fn = compress;
    if (view.len >= GIL_MIN) {
        if (self->lock == NULL) self->lock = PyThread_allocate_lock();
        if (self->lock == NULL) {
            PyBuffer_Release(&view);
            PyErr_NoMemory();
            return -1;
        }
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, 1);
        state_update(&self->st, (const uint8_t *)view.buf, (size_t)view.len, fn);
        PyThread_release_lock(self->lock);
        Py_END_ALLOW_THREADS
    } else {
        if (self->lock != NULL) {
            Py_BEGIN_ALLOW_THREADS
            PyThread_acquire_lock(self->lock, 1);
            Py_END_ALLOW_THREADS
        }
        state_update(&self->st, (const uint8_t *)view.buf, (size_t)view.len, fn);
        if (self->lock != NULL) PyThread_release_lock(self->lock);
    }
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *B2_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", NULL};
    PyObject *data = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:blake2b_256", kwlist, &data)) return NULL;
    B2Object *self = (B2Object *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    state_init(&self->st);
    self->lock = NULL;
    if (data != NULL && update_from(self, data) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void B2_dealloc(B2Object *self)
{
    if (self->lock != NULL) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *B2_update(B2Object *self, PyObject *data)
{
    if (update_from(self, data) < 0) return NULL;
    Py_RETURN_NONE;
}

static void snapshot(B2Object *self, state_t *out)
{
    if (self->lock != NULL) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, 1);
        Py_END_ALLOW_THREADS
    }
    *out = self->st;
    if (self->lock != NULL) PyThread_release_lock(self->lock);
}

static PyObject *B2_digest(B2Object *self, PyObject *Py_UNUSED(ignored))
{
    state_t s;
    uint8_t out[OUTLEN];
    snapshot(self, &s);
    state_digest(&s, out, compress);
    return PyBytes_FromStringAndSize((const char *)out, OUTLEN);
}

static PyObject *B2_hexdigest(B2Object *self, PyObject *Py_UNUSED(ignored))
{
    static const char hexdigits[] = "0123456789abcdef";
    state_t s;
    uint8_t out[OUTLEN];
    char hex[2 * OUTLEN];
    snapshot(self, &s);
    state_digest(&s, out, compress);
    for (int i = 0; i < OUTLEN; i++) {
        hex[2 * i] = hexdigits[out[i] >> 4];
        hex[2 * i + 1] = hexdigits[out[i] & 15];
    }
    return PyUnicode_FromStringAndSize(hex, 2 * OUTLEN);
}

static PyObject *B2_copy(B2Object *self, PyObject *Py_UNUSED(ignored))
{
    B2Object *other = (B2Object *)Py_TYPE(self)->tp_alloc(Py_TYPE(self), 0);
    if (other == NULL) return NULL;
    snapshot(self, &other->st);
    other->lock = NULL;
    return (PyObject *)other;
}

static PyObject *B2_get_digest_size(PyObject *self, void *closure) { return PyLong_FromLong(OUTLEN); }
static PyObject *B2_get_block_size(PyObject *self, void *closure) { return PyLong_FromLong(BLOCK); }
static PyObject *B2_get_name(PyObject *self, void *closure) { return PyUnicode_FromString("blake2b"); }

static PyMethodDef B2_methods[] = {
    {"update", (PyCFunction)B2_update, METH_O, "Hash more bytes (any buffer)."},
    {"digest", (PyCFunction)B2_digest, METH_NOARGS, "The 32-byte digest of the bytes so far."},
    {"hexdigest", (PyCFunction)B2_hexdigest, METH_NOARGS, "The digest as lower-case hex."},
    {"copy", (PyCFunction)B2_copy, METH_NOARGS, "An independent copy of this hash."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef B2_getset[] = {
    {"digest_size", B2_get_digest_size, NULL, NULL, NULL},
    {"block_size", B2_get_block_size, NULL, NULL, NULL},
    {"name", B2_get_name, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject B2Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "anchor._blake2b.blake2b_256",
    .tp_basicsize = sizeof(B2Object),
    .tp_dealloc = (destructor)B2_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "BLAKE2b with a 32-byte digest (hashlib.blake2b(digest_size=32)), vectorised.",
    .tp_methods = B2_methods,
    .tp_getset = B2_getset,
    .tp_new = B2_new,
};

static int compare_ptr(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)(*(B2Object *const *)x), b = (uintptr_t)(*(B2Object *const *)y);
    return (a > b) - (a < b);
}

static PyObject *mod_update_many(PyObject *module, PyObject *args)
{
    PyObject *hashers, *buffers;
    if (!PyArg_ParseTuple(args, "OO:update_many", &hashers, &buffers)) return NULL;
    PyObject *hs = PySequence_Fast(hashers, "hashers must be a sequence");
    if (hs == NULL) return NULL;
    PyObject *bs = PySequence_Fast(buffers, "buffers must be a sequence");
    if (bs == NULL) {
        Py_DECREF(hs);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(hs);
    B2Object *obj[MAX_LANES], *sorted[MAX_LANES];
    Py_buffer view[MAX_LANES];
    state_t *st[MAX_LANES];
    const uint8_t *in[MAX_LANES];
    size_t len[MAX_LANES];
    Py_ssize_t got = 0;
    PyObject *result = NULL;
    if (n != PySequence_Fast_GET_SIZE(bs)) {
        PyErr_SetString(PyExc_ValueError, "one buffer per hasher");
        goto done;
    }
    if (n > MAX_LANES) {
        PyErr_Format(PyExc_ValueError, "at most %d hashers at once", MAX_LANES);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *h = PySequence_Fast_GET_ITEM(hs, i);
        if (!PyObject_TypeCheck(h, &B2Type)) {
            PyErr_SetString(PyExc_TypeError, "hashers must be anchor._blake2b.blake2b_256");
            goto done;
        }
        obj[i] = (B2Object *)h;
        for (Py_ssize_t j = 0; j < i; j++)
            if (obj[j] == obj[i]) {
                PyErr_SetString(PyExc_ValueError, "the same hasher twice");
                goto done;
            }
        if (obj[i]->lock == NULL && (obj[i]->lock = PyThread_allocate_lock()) == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        PyObject *b = PySequence_Fast_GET_ITEM(bs, i);
        if (PyUnicode_Check(b)) {
            PyErr_SetString(PyExc_TypeError, "Strings must be encoded before hashing");
            goto done;
        }
        if (PyObject_GetBuffer(b, &view[i], PyBUF_SIMPLE) < 0) goto done;
        got = i + 1;
        st[i] = &obj[i]->st;
        in[i] = (const uint8_t *)view[i].buf;
        len[i] = (size_t)view[i].len;
        sorted[i] = obj[i];
    }
    /* Locks in address order, so two threads sharing hashers cannot deadlock. */
    qsort(sorted, (size_t)n, sizeof sorted[0], compare_ptr);
    compress_fn fn = compress;
    compress4_fn fn4 = compress4;
    Py_ssize_t min_group = lanes_min_group;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) PyThread_acquire_lock(sorted[i]->lock, 1);
    update_lanes(st, in, len, n, fn, fn4, min_group);
    for (Py_ssize_t i = 0; i < n; i++) PyThread_release_lock(sorted[i]->lock);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&view[i]);
    Py_DECREF(hs);
    Py_DECREF(bs);
    return result;
}

static PyObject *mod_select(PyObject *module, PyObject *arg)
{
    const char *name = NULL;
    if (arg != Py_None) {
        name = PyUnicode_AsUTF8(arg);
        if (name == NULL) return NULL;
        if (strcmp(name, "portable") != 0 && strcmp(name, "avx2") != 0 &&
            strcmp(name, "avx512") != 0) {
            PyErr_Format(PyExc_ValueError, "unknown implementation %R", arg);
            return NULL;
        }
    }
    pick_implementation(name);
    return PyUnicode_FromString(impl_name);
}

static PyObject *mod_implementation(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(impl_name);
}

static PyMethodDef module_methods[] = {
    {"implementation", mod_implementation, METH_NOARGS,
     "The compression in use: 'avx512', 'avx2' or 'portable'."},
    {"update_many", mod_update_many, METH_VARARGS,
     "update_many(hashers, buffers): hashers[i].update(buffers[i]) for every i, with the "
     "blocks of up to four inputs compressed together; the GIL is released throughout."},
    {"select", mod_select, METH_O,
     "Use the named implementation if this CPU has it (None: the best); returns the one in use. "
     "For tests: not safe while other threads hash."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "anchor._blake2b",
    "BLAKE2b-256 with vectorised compression (see anchor/_blake2b.c).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__blake2b(void)
{
    build_vorder();
#if ANCHOR_X86
    build_vidx();
#endif
    pick_implementation(NULL);
    if (PyType_Ready(&B2Type) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    Py_INCREF(&B2Type);
    if (PyModule_AddObject(m, "blake2b_256", (PyObject *)&B2Type) < 0) {
        Py_DECREF(&B2Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
