/* COCO detection and segmentation metrics with pycocotools' COCOeval
 * semantics (evaluateImg, accumulate, summarize), to the last bit: greedy
 * matching per (image, category) on the thread pool, then per category. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

#define T_ TS_COCO_NUM_IOU
#define R_ TS_COCO_NUM_REC
#define A_ TS_COCO_NUM_AREA
#define M_ TS_COCO_NUM_MAXDET

/* np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), bit for bit. */
static const double iou_thrs[T_] = {
    0x1.0000000000000p-1, 0x1.199999999999ap-1, 0x1.3333333333333p-1, 0x1.4cccccccccccdp-1,
    0x1.6666666666666p-1, 0x1.8000000000000p-1, 0x1.999999999999ap-1, 0x1.b333333333333p-1,
    0x1.cccccccccccccp-1, 0x1.e666666666666p-1,
};
static const double rec_thrs[R_] = {
    0x0.0p+0, 0x1.47ae147ae147bp-7, 0x1.47ae147ae147bp-6, 0x1.eb851eb851eb8p-6,
    0x1.47ae147ae147bp-5, 0x1.999999999999ap-5, 0x1.eb851eb851eb8p-5, 0x1.1eb851eb851ecp-4,
    0x1.47ae147ae147bp-4, 0x1.70a3d70a3d70ap-4, 0x1.999999999999ap-4, 0x1.c28f5c28f5c29p-4,
    0x1.eb851eb851eb8p-4, 0x1.0a3d70a3d70a4p-3, 0x1.1eb851eb851ecp-3, 0x1.3333333333333p-3,
    0x1.47ae147ae147bp-3, 0x1.5c28f5c28f5c3p-3, 0x1.70a3d70a3d70ap-3, 0x1.851eb851eb852p-3,
    0x1.999999999999ap-3, 0x1.ae147ae147ae1p-3, 0x1.c28f5c28f5c29p-3, 0x1.d70a3d70a3d71p-3,
    0x1.eb851eb851eb8p-3, 0x1.0000000000000p-2, 0x1.0a3d70a3d70a4p-2, 0x1.147ae147ae148p-2,
    0x1.1eb851eb851ecp-2, 0x1.28f5c28f5c28fp-2, 0x1.3333333333333p-2, 0x1.3d70a3d70a3d7p-2,
    0x1.47ae147ae147bp-2, 0x1.51eb851eb851fp-2, 0x1.5c28f5c28f5c3p-2, 0x1.6666666666667p-2,
    0x1.70a3d70a3d70ap-2, 0x1.7ae147ae147aep-2, 0x1.851eb851eb852p-2, 0x1.8f5c28f5c28f6p-2,
    0x1.999999999999ap-2, 0x1.a3d70a3d70a3ep-2, 0x1.ae147ae147ae1p-2, 0x1.b851eb851eb85p-2,
    0x1.c28f5c28f5c29p-2, 0x1.ccccccccccccdp-2, 0x1.d70a3d70a3d71p-2, 0x1.e147ae147ae15p-2,
    0x1.eb851eb851eb8p-2, 0x1.f5c28f5c28f5cp-2, 0x1.0000000000000p-1, 0x1.051eb851eb852p-1,
    0x1.0a3d70a3d70a4p-1, 0x1.0f5c28f5c28f6p-1, 0x1.147ae147ae148p-1, 0x1.199999999999ap-1,
    0x1.1eb851eb851ecp-1, 0x1.23d70a3d70a3ep-1, 0x1.28f5c28f5c28fp-1, 0x1.2e147ae147ae1p-1,
    0x1.3333333333333p-1, 0x1.3851eb851eb85p-1, 0x1.3d70a3d70a3d7p-1, 0x1.428f5c28f5c29p-1,
    0x1.47ae147ae147bp-1, 0x1.4cccccccccccdp-1, 0x1.51eb851eb851fp-1, 0x1.570a3d70a3d71p-1,
    0x1.5c28f5c28f5c3p-1, 0x1.6147ae147ae15p-1, 0x1.6666666666667p-1, 0x1.6b851eb851eb8p-1,
    0x1.70a3d70a3d70ap-1, 0x1.75c28f5c28f5cp-1, 0x1.7ae147ae147aep-1, 0x1.8000000000000p-1,
    0x1.851eb851eb852p-1, 0x1.8a3d70a3d70a4p-1, 0x1.8f5c28f5c28f6p-1, 0x1.947ae147ae148p-1,
    0x1.999999999999ap-1, 0x1.9eb851eb851ecp-1, 0x1.a3d70a3d70a3ep-1, 0x1.a8f5c28f5c290p-1,
    0x1.ae147ae147ae1p-1, 0x1.b333333333333p-1, 0x1.b851eb851eb85p-1, 0x1.bd70a3d70a3d7p-1,
    0x1.c28f5c28f5c29p-1, 0x1.c7ae147ae147bp-1, 0x1.ccccccccccccdp-1, 0x1.d1eb851eb851fp-1,
    0x1.d70a3d70a3d71p-1, 0x1.dc28f5c28f5c3p-1, 0x1.e147ae147ae15p-1, 0x1.e666666666667p-1,
    0x1.eb851eb851eb8p-1, 0x1.f0a3d70a3d70ap-1, 0x1.f5c28f5c28f5cp-1, 0x1.fae147ae147aep-1,
    0x1.0000000000000p+0,
};

const double *ts_coco_iou_thresholds(void) { return iou_thrs; }
const double *ts_coco_recall_thresholds(void) { return rec_thrs; }

static const double area_lo[A_] = {0, 0, 1024, 9216};
static const double area_hi[A_] = {1e10, 1024, 9216, 1e10};
static const int max_dets[M_] = {1, 10, 100};
static const char *const area_names[A_] = {"all", "small", "medium", "large"};

void ts_coco_area_range(int a, double *lo, double *hi) {
    *lo = area_lo[a];
    *hi = area_hi[a];
}
int ts_coco_max_dets(int m) { return max_dets[m]; }
const char *ts_coco_area_name(int a) { return area_names[a]; }

static const char *const stat_names[TS_COCO_NUM_STATS] = {
    "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
    "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]",
    "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
};
const char *ts_coco_stat_name(int i) { return i >= 0 && i < TS_COCO_NUM_STATS ? stat_names[i] : ""; }

struct ts_coco_eval {
    size_t K;
    double stats[TS_COCO_NUM_STATS];
    double *precision; /* [T][R][K][A][M] */
    double *recall;    /* [T][K][A][M] */
    ts_coco_class *classes;
    uint64_t hist[10];
    double mean_iou;
    uint64_t dropped_image, ignored_category, loaded;
};

/* numpy's pairwise summation (DOUBLE_pairwise_sum), so means match
 * np.mean bit for bit. */
static double pairwise_sum(const double *a, size_t n) {
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8], res;
        size_t i;
        for (i = 0; i < 8; i++) r[i] = a[i];
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t j = 0; j < 8; j++) r[j] += a[i + j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

double ts_eval_mean_valid(const double *v, size_t n) {
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t k = 0;
    if (!tmp) { /* fall back to a plain sum: same value to ~1e-16 */
        double s = 0;
        for (size_t i = 0; i < n; i++)
            if (v[i] > -1) s += v[i], k++;
        return k ? s / (double)k : -1;
    }
    for (size_t i = 0; i < n; i++)
        if (v[i] > -1) tmp[k++] = v[i];
    double mean = k ? (0. + pairwise_sum(tmp, k)) / (double)k : -1;
    free(tmp);
    return mean;
}

/* ---- evaluateImg over (category, image) pairs ----------------------------------- */

typedef struct {
    const ev_data *e;
    double thr[T_];      /* min(t, 1 - 1e-10) as evaluateImg starts each match */
    uint16_t *tp, *fp;   /* [A][n_dets]: bit t set when TP / FP at threshold t */
    double *miou;        /* IoU of each TP at .50, area all (NaN otherwise) */
    ev_scratch *scratch; /* one per worker */
    int failed;
} pair_job;

static void eval_pair(pair_job *job, const ev_pair *p, ev_scratch *scr) {
    const ev_data *e = job->e;
    size_t nd = e->d.n;
    size_t D = p->d1 - p->d0, G = p->g1 - p->g0;
    if (D > 100) D = 100;
    size_t bytes = D * G * sizeof(double) + G * (sizeof(size_t) + 2);
    uint8_t *mem = ev_scratch_get(scr, bytes ? bytes : 1);
    if (!mem) {
        job->failed = 1;
        return;
    }
    double *ious = (double *)mem;
    size_t *order = (size_t *)(ious + D * G);
    uint8_t *ig = (uint8_t *)(order + G), *gtm = ig + G;
    for (size_t d = 0; d < D; d++)
        for (size_t g = 0; g < G; g++) ious[d * G + g] = ev_iou(e, p->d0 + d, p->g0 + g);
    const uint8_t *crowd = e->g.crowd + p->g0;
    const double *garea = e->g.area + p->g0;
    const int64_t *gid = e->g.id + p->g0;
    for (int a = 0; a < A_; a++) {
        double lo = area_lo[a], hi = area_hi[a];
        size_t no = 0;
        for (size_t g = 0; g < G; g++) ig[g] = crowd[g] || garea[g] < lo || garea[g] > hi;
        for (size_t g = 0; g < G; g++)
            if (!ig[g]) order[no++] = g;
        for (size_t g = 0; g < G; g++)
            if (ig[g]) order[no++] = g;
        for (int t = 0; t < T_; t++) {
            memset(gtm, 0, G);
            for (size_t d = 0; d < D; d++) {
                size_t di = p->d0 + d;
                double iou = job->thr[t];
                long m = -1;
                const double *row = ious + d * G;
                for (size_t j = 0; j < G; j++) {
                    size_t g = order[j];
                    if (gtm[g] && !crowd[g]) continue;
                    if (m > -1 && !ig[m] && ig[g]) break;
                    if (row[g] < iou) continue;
                    iou = row[g];
                    m = (long)g;
                }
                int dtm = 0, dig = 0;
                if (m > -1) {
                    dig = ig[m];
                    dtm = gid[m] != 0; /* pycocotools stores the GT id: id 0 reads as unmatched */
                    gtm[m] = 1;
                }
                double da = e->d.area[di];
                if (!dtm && (da < lo || da > hi)) dig = 1;
                if (!dig) {
                    if (dtm) job->tp[(size_t)a * nd + di] |= (uint16_t)(1u << t);
                    else job->fp[(size_t)a * nd + di] |= (uint16_t)(1u << t);
                }
                if (a == 0 && t == 0 && dtm && !dig) job->miou[di] = row[m];
            }
        }
    }
}

static void eval_pairs(void *user, size_t begin, size_t end, int worker) {
    pair_job *job = user;
    for (size_t i = begin; i < end; i++) eval_pair(job, &job->e->pairs[i], &job->scratch[worker]);
}

/* ---- accumulate per category ---------------------------------------------------------- */

typedef struct {
    double score;
    size_t idx;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct {
    const ev_data *e;
    const pair_job *pj;
    ts_coco_eval *ev;
    ev_scratch *scratch;
    int failed;
} acc_job;

static size_t pidx(size_t K, int t, int r, size_t k, int a, int m) {
    return ((((size_t)t * R_ + (size_t)r) * K + k) * A_ + (size_t)a) * M_ + (size_t)m;
}
static size_t ridx(size_t K, int t, size_t k, int a, int m) {
    return (((size_t)t * K + k) * A_ + (size_t)a) * M_ + (size_t)m;
}

static void accumulate_cat(acc_job *job, size_t k, ev_scratch *scr) {
    const ev_data *e = job->e;
    ts_coco_eval *ev = job->ev;
    size_t K = ev->K, nd_all = e->d.n;
    size_t p0 = e->cat_pair0[k], p1 = e->cat_pair0[k + 1];
    uint64_t npig[A_] = {0};
    size_t n = 0;
    for (size_t p = p0; p < p1; p++) {
        const ev_pair *pr = &e->pairs[p];
        for (size_t g = pr->g0; g < pr->g1; g++)
            for (int a = 0; a < A_; a++)
                if (!e->g.crowd[g] && !(e->g.area[g] < area_lo[a] || e->g.area[g] > area_hi[a])) npig[a]++;
        size_t D = pr->d1 - pr->d0;
        n += D > 100 ? 100 : D;
    }
    ts_coco_class *cl = &ev->classes[k];
    cl->n_gt = npig[0];
    cl->n_dt = n;
    if (p0 == p1) return;
    size_t bytes = n * (sizeof(scored) + sizeof(size_t) + 2 * sizeof(double) + 2 * sizeof(uint16_t));
    uint8_t *mem = ev_scratch_get(scr, bytes ? bytes : 1);
    if (!mem) {
        job->failed = 1;
        return;
    }
    scored *list = (scored *)mem;
    size_t *sel = (size_t *)(list + n);
    double *rc = (double *)(sel + n), *prc = rc + n;
    uint16_t *tpl = (uint16_t *)(prc + n), *fpl = tpl + n;
    size_t c = 0;
    for (size_t p = p0; p < p1; p++) {
        const ev_pair *pr = &e->pairs[p];
        size_t d1 = pr->d1 - pr->d0 > 100 ? pr->d0 + 100 : pr->d1;
        for (size_t d = pr->d0; d < d1; d++) list[c++] = (scored){e->d.score[d], d};
    }
    qsort(list, n, sizeof *list, cmp_scored);
    uint64_t matched = 0;
    double iou_sum = 0;
    for (size_t i = 0; i < n; i++) {
        double v = job->pj->miou[list[i].idx];
        if (!isnan(v)) matched++, iou_sum += v;
    }
    cl->n_matched = matched;
    cl->mean_iou = matched ? iou_sum / (double)matched : -1;
    for (int m = 0; m < M_; m++) {
        size_t nsel = 0;
        for (size_t i = 0; i < n; i++)
            if (e->d.rank[list[i].idx] < (uint32_t)max_dets[m]) sel[nsel++] = list[i].idx;
        for (int a = 0; a < A_; a++) {
            if (npig[a] == 0) continue;
            const uint16_t *tpb = job->pj->tp + (size_t)a * nd_all, *fpb = job->pj->fp + (size_t)a * nd_all;
            /* Ignored detections repeat the previous (recall, precision)
             * point, which changes neither the envelope nor the first point
             * reaching a recall threshold, so they are left out. */
            size_t nd = 0;
            for (size_t i = 0; i < nsel; i++) {
                uint16_t tb = tpb[sel[i]], fb = fpb[sel[i]];
                if (tb | fb) tpl[nd] = tb, fpl[nd] = fb, nd++;
            }
            double np_ = (double)npig[a];
            for (int t = 0; t < T_; t++) {
                double tpc = 0, fpc = 0;
                uint16_t bit = (uint16_t)(1u << t);
                size_t k2 = 0;
                for (size_t i = 0; i < nd; i++) {
                    int tp = (tpl[i] & bit) != 0, fp = (fpl[i] & bit) != 0;
                    if (!(tp | fp)) continue;
                    tpc += tp;
                    fpc += fp;
                    rc[k2] = tpc / np_;
                    prc[k2] = tpc / (fpc + tpc + 2.220446049250313e-16);
                    k2++;
                }
                ev->recall[ridx(K, t, k, a, m)] = k2 ? rc[k2 - 1] : 0;
                for (size_t i = k2; i-- > 1;)
                    if (prc[i] > prc[i - 1]) prc[i - 1] = prc[i];
                size_t i = 0;
                for (int r = 0; r < R_; r++) {
                    while (i < k2 && rc[i] < rec_thrs[r]) i++;
                    ev->precision[pidx(K, t, r, k, a, m)] = i < k2 ? prc[i] : 0;
                }
            }
        }
    }
}

static void accumulate_cats(void *user, size_t begin, size_t end, int worker) {
    acc_job *job = user;
    for (size_t k = begin; k < end; k++) accumulate_cat(job, k, &job->scratch[worker]);
}

/* ---- summarize ---------------------------------------------------------------------- */

static double summarize(const ts_coco_eval *ev, int ap, int t_only, int a, int m, double *tmp) {
    size_t K = ev->K, n = 0;
    int t0 = t_only >= 0 ? t_only : 0, t1 = t_only >= 0 ? t_only + 1 : T_;
    for (int t = t0; t < t1; t++) {
        if (ap) {
            for (int r = 0; r < R_; r++)
                for (size_t k = 0; k < K; k++) tmp[n++] = ev->precision[pidx(K, t, r, k, a, m)];
        } else {
            for (size_t k = 0; k < K; k++) tmp[n++] = ev->recall[ridx(K, t, k, a, m)];
        }
    }
    return ts_eval_mean_valid(tmp, n);
}

static double class_mean(const ts_coco_eval *ev, size_t k, int t_only, double *tmp) {
    size_t n = 0;
    int t0 = t_only >= 0 ? t_only : 0, t1 = t_only >= 0 ? t_only + 1 : T_;
    for (int t = t0; t < t1; t++)
        for (int r = 0; r < R_; r++) tmp[n++] = ev->precision[pidx(ev->K, t, r, k, 0, M_ - 1)];
    return ts_eval_mean_valid(tmp, n);
}

static ts_status finish(ts_ctx *ctx, ts_coco_eval *ev, const ev_data *e, const pair_job *pj) {
    size_t K = ev->K, n;
    if (!ts_mul_size(K ? K : 1, (size_t)T_ * R_, &n)) return ts_error(ctx, TS_ERR_NOMEM, "too many categories");
    double *tmp = ts_alloc_array(ctx, n, sizeof *tmp);
    if (!tmp) return TS_ERR_NOMEM;
    static const struct {
        int ap, t, a, m;
    } spec[TS_COCO_NUM_STATS] = {{1, -1, 0, 2}, {1, 0, 0, 2},  {1, 5, 0, 2},  {1, -1, 1, 2},
                                 {1, -1, 2, 2}, {1, -1, 3, 2}, {0, -1, 0, 0}, {0, -1, 0, 1},
                                 {0, -1, 0, 2}, {0, -1, 1, 2}, {0, -1, 2, 2}, {0, -1, 3, 2}};
    for (int i = 0; i < TS_COCO_NUM_STATS; i++)
        ev->stats[i] = summarize(ev, spec[i].ap, spec[i].t, spec[i].a, spec[i].m, tmp);
    for (size_t k = 0; k < K; k++) {
        ts_coco_class *c = &ev->classes[k];
        c->ap = class_mean(ev, k, -1, tmp);
        c->ap50 = class_mean(ev, k, 0, tmp);
        c->ap75 = class_mean(ev, k, 5, tmp);
        for (int t = 0; t < T_; t++) tmp[t] = ev->recall[ridx(K, t, k, 0, M_ - 1)];
        c->ar100 = ts_eval_mean_valid(tmp, T_);
    }
    free(tmp);
    uint64_t cnt = 0;
    double sum = 0;
    for (size_t i = 0; i < e->d.n; i++) {
        double v = pj->miou[i];
        if (isnan(v)) continue;
        int b = 0;
        while (b < 9 && v >= iou_thrs[b + 1]) b++;
        ev->hist[b]++;
        cnt++;
        sum += v;
    }
    ev->mean_iou = cnt ? sum / (double)cnt : -1;
    return TS_OK;
}

void ts_coco_eval_destroy(ts_coco_eval *ev) {
    if (!ev) return;
    if (ev->classes)
        for (size_t k = 0; k < ev->K; k++) free((char *)ev->classes[k].name);
    free(ev->classes), free(ev->precision), free(ev->recall);
    free(ev);
}

static ts_coco_eval *eval_alloc(ts_ctx *ctx, const ev_data *e) {
    ts_coco_eval *ev = ts_calloc_array(ctx, 1, sizeof *ev);
    if (!ev) return NULL;
    ev->K = e->n_cat;
    size_t K = ev->K ? ev->K : 1, np, nr;
    if (!ts_mul_size(K, (size_t)T_ * R_ * A_ * M_, &np) || !ts_mul_size(K, (size_t)T_ * A_ * M_, &nr)) {
        ts_error(ctx, TS_ERR_NOMEM, "too many categories");
        free(ev);
        return NULL;
    }
    ev->precision = ts_alloc_array(ctx, np, sizeof(double));
    ev->recall = ts_alloc_array(ctx, nr, sizeof(double));
    ev->classes = ts_calloc_array(ctx, K, sizeof *ev->classes);
    if (!ev->precision || !ev->recall || !ev->classes) {
        ts_coco_eval_destroy(ev);
        return NULL;
    }
    for (size_t i = 0; i < np; i++) ev->precision[i] = -1;
    for (size_t i = 0; i < nr; i++) ev->recall[i] = -1;
    for (size_t k = 0; k < ev->K; k++) {
        ts_category cat;
        ts_dataset_category(e->gt, e->cat_index[k], &cat);
        ev->classes[k].category_id = cat.id;
        ev->classes[k].name = ts_strdup(ctx, cat.name ? cat.name : "");
        ev->classes[k].mean_iou = -1;
        if (!ev->classes[k].name) {
            ts_coco_eval_destroy(ev);
            return NULL;
        }
    }
    return ev;
}

ts_status ts_coco_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, const ts_coco_opts *opts,
                           ts_coco_eval **out) {
    ts_iou_type type = opts ? opts->iou_type : TS_IOU_BBOX;
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (st != TS_OK) return st;
    ev_data e;
    st = ev_load(ctx, gt, dt, type, opts ? opts->branch : TS_RESULTS_AUTO, pool, &e);
    if (st != TS_OK) {
        ts_pool_destroy(pool);
        return st;
    }
    int nw = ts_pool_threads(pool);
    pair_job pj = {&e, {0}, NULL, NULL, NULL, NULL, 0};
    for (int t = 0; t < T_; t++) pj.thr[t] = fmin(iou_thrs[t], 1 - 1e-10);
    size_t nd = e.d.n ? e.d.n : 1;
    ts_coco_eval *ev = NULL;
    pj.tp = ts_calloc_array(ctx, nd, A_ * sizeof *pj.tp);
    pj.fp = ts_calloc_array(ctx, nd, A_ * sizeof *pj.fp);
    pj.miou = ts_alloc_array(ctx, nd, sizeof *pj.miou);
    pj.scratch = ts_calloc_array(ctx, (size_t)nw, sizeof *pj.scratch);
    if (!pj.tp || !pj.fp || !pj.miou || !pj.scratch) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < e.d.n; i++) pj.miou[i] = NAN;
    ts_pool_run(pool, e.n_pairs, 0, eval_pairs, &pj);
    if (pj.failed) {
        st = ts_error(ctx, TS_ERR_NOMEM, "out of memory while matching");
        goto done;
    }
    if ((st = ts_progress(ctx, "evaluate", 1, 2)) != TS_OK) goto done;
    ev = eval_alloc(ctx, &e);
    if (!ev) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    acc_job aj = {&e, &pj, ev, pj.scratch, 0};
    ts_pool_run(pool, e.n_cat, 1, accumulate_cats, &aj);
    if (aj.failed) {
        st = ts_error(ctx, TS_ERR_NOMEM, "out of memory while accumulating");
        goto done;
    }
    if ((st = finish(ctx, ev, &e, &pj)) != TS_OK) goto done;
    ev->dropped_image = e.dropped_image;
    ev->ignored_category = e.ignored_category;
    ev->loaded = e.loaded;
    if (e.dropped_image)
        ts_warn(ctx, "%llu predictions name image ids absent from the ground truth; dropped (pycocotools refuses the file)",
                (unsigned long long)e.dropped_image);
    if (e.ignored_category)
        ts_warn(ctx, "%llu predictions name category ids absent from the ground truth; ignored as pycocotools does",
                (unsigned long long)e.ignored_category);
    st = ts_progress(ctx, "evaluate", 2, 2);
done:
    if (pj.scratch)
        for (int w = 0; w < nw; w++) free(pj.scratch[w].p);
    free(pj.scratch), free(pj.tp), free(pj.fp), free(pj.miou);
    ev_free(&e);
    ts_pool_destroy(pool);
    if (st != TS_OK) {
        ts_coco_eval_destroy(ev);
        return st;
    }
    *out = ev;
    return TS_OK;
}

const double *ts_coco_eval_stats(const ts_coco_eval *ev) { return ev->stats; }
size_t ts_coco_eval_class_count(const ts_coco_eval *ev) { return ev->K; }
const ts_coco_class *ts_coco_eval_class(const ts_coco_eval *ev, size_t k) { return &ev->classes[k]; }

double ts_coco_eval_precision(const ts_coco_eval *ev, int t, int r, size_t k, int a, int m) {
    return ev->precision[pidx(ev->K, t, r, k, a, m)];
}
double ts_coco_eval_recall(const ts_coco_eval *ev, int t, size_t k, int a, int m) {
    return ev->recall[ridx(ev->K, t, k, a, m)];
}

double ts_coco_eval_mean_precision(const ts_coco_eval *ev, int t, int r, int a, int m) {
    double *v = malloc((ev->K ? ev->K : 1) * sizeof *v);
    if (!v) return -1;
    for (size_t k = 0; k < ev->K; k++) v[k] = ev->precision[pidx(ev->K, t, r, k, a, m)];
    double mean = ts_eval_mean_valid(v, ev->K);
    free(v);
    return mean;
}

void ts_coco_eval_iou_histogram(const ts_coco_eval *ev, uint64_t bins[10], double *mean_iou) {
    memcpy(bins, ev->hist, sizeof ev->hist);
    if (mean_iou) *mean_iou = ev->mean_iou;
}

void ts_coco_eval_counts(const ts_coco_eval *ev, uint64_t *dropped_image, uint64_t *ignored_category,
                         uint64_t *loaded) {
    if (dropped_image) *dropped_image = ev->dropped_image;
    if (ignored_category) *ignored_category = ev->ignored_category;
    if (loaded) *loaded = ev->loaded;
}
