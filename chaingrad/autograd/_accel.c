/*
 * chaingrad.autograd._accel: the two hottest loops of the engine, compiled.
 *
 * The reference is the Python code: ``Op.apply`` (autograd/function.py) and the node loop of
 * ``run_backward`` (autograd/engine.py). This file does exactly what they do, step for step,
 * without the interpreter's cost per step, which is what a chain of small ops (issue 6, W4)
 * pays for: the NumPy work on 16 floats is shorter than the Python around it.
 *
 * Anything off the common path is handed back to the Python code: ops with several inputs
 * beyond MAX_INPUTS, "quiet" ops, anomaly mode, non-Tensor inputs (``fast_apply``); nodes
 * with hooks, captures, observers, several outputs or leaves (``backward_loop`` calls the
 * engine's ``_run_node``); and every rare case inside the loop (shape fitting, NaN-safe
 * structural zeros, in-place sums into engine-owned buffers) calls the same Python helper
 * the Python loop calls. So there is one meaning, written in Python, and a faster way to
 * run its common steps.
 *
 * Attributes that are ``__slots__`` are read and written at their offset in the object
 * (found once, from the slot's member descriptor); everything else goes through the usual
 * attribute lookup. The extension is optional: without a C compiler chaingrad runs the
 * Python code, and ``CHAINGRAD_PURE_PYTHON=1`` makes it do so.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>
#include <stddef.h>

#define MAX_INPUTS 8
#define MAX_KWARGS 8

/* --- what setup() is given ------------------------------------------------------------ */
static PyTypeObject *Tensor_T, *Node_T, *Acc_T, *VC_T, *Op_T;
static PyObject *ndarray_T;
static PyObject *py_apply;      /* Op.apply as Python: the reference, and the way for the rest */
static PyObject *as_array, *next_seq, *dead_input, *NO_EDGE, *grad_state, *anomaly_state;
/* engine helpers (autograd/engine.py) */
static PyObject *fit_fn, *structural_zeros_fn, *wrong_count_fn, *sum_into_memo_fn;
static PyObject *unshared_fn, *sum_fn;
static PyObject *FloatingPointError_T;
static PyObject *array_math, *owned_array_math;  /* the raw-array math namespaces (ops/dual.py) */
static PyObject *apply_descr;  /* Op.__dict__["apply"] once the compiled apply is installed */
static Py_ssize_t AS_on;        /* anomaly.py's _AnomalyState.on slot */
static Py_ssize_t own_min_size;
static int ready = 0;

static PyObject *s_forward, *s_backward, *s_differentiable, *s_quiet, *s_save_inputs,
    *s_save_output, *s_enabled, *s_output_nr, *s_accumulator, *s_edge, *s_shape,
    *s_dtype, *s_all, *s_direct, *s_keeps_context, *s_release,
    *s_num_outputs, *s_ran, *s_consumed, *s_value, *s_apply, *s_kind;

/* slot offsets: Tensor, Node, AccumulateGrad, _VersionCounter */
static Py_ssize_t T_data, T_rg, T_grad_fn, T_vc;
static Py_ssize_t N_next, N_meta, N_saved, N_saved_versions, N_saved_out, N_out_counter,
    N_out_version, N_freed, N_consumed, N_recording, N_seq, N_pre_hooks, N_hooks;
static Py_ssize_t A_ran, VC_value;

#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

static inline void
slot_set(PyObject *o, Py_ssize_t off, PyObject *v)
{
    PyObject *old = SLOT(o, off);
    Py_INCREF(v);
    SLOT(o, off) = v;
    Py_XDECREF(old);
}

static inline void
slot_steal(PyObject *o, Py_ssize_t off, PyObject *v)
{
    PyObject *old = SLOT(o, off);
    SLOT(o, off) = v;
    Py_XDECREF(old);
}

static int
slot_offset(PyTypeObject *tp, const char *name, Py_ssize_t *out)
{
    PyObject *d = PyDict_GetItemString(tp->tp_dict, name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", tp->tp_name, name);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not an object slot", tp->tp_name, name);
        return -1;
    }
    *out = m->offset;
    return 0;
}

/* truth of a borrowed value that is nearly always a bool */
static inline int
truth(PyObject *v)
{
    if (v == Py_True) return 1;
    if (v == Py_False || v == Py_None) return 0;
    return PyObject_IsTrue(v);
}

/* a slot's value (borrowed), AttributeError when it was never set, as Python says */
static inline PyObject *
slot_get(PyObject *o, Py_ssize_t off, PyObject *name)
{
    PyObject *v = SLOT(o, off);
    if (v == NULL)
        PyErr_SetObject(PyExc_AttributeError, name);
    return v;
}

static PyObject *
new_object(PyTypeObject *tp)
{
    /* object.__new__(tp) without setting up the instance dict: the few nodes that store
     * context there get it on first use */
    return tp->tp_alloc(tp, 0);
}

static PyObject *
version_of(PyObject *t)
{
    PyObject *vc = SLOT(t, T_vc);
    if (vc == NULL || vc == Py_None)
        return PyLong_FromLong(0);
    if (Py_IS_TYPE(vc, VC_T) && SLOT(vc, VC_value) != NULL) {
        PyObject *v = SLOT(vc, VC_value);
        Py_INCREF(v);
        return v;
    }
    return PyObject_GetAttr(vc, s_value);
}

/* --- per-class facts, read once per class and kept while the class stays as it is --------
 * (a class's version tag changes whenever it or a base class is modified) */
typedef struct {
    PyTypeObject *tp;
    unsigned int version;
    signed char quiet, differentiable, save_output, direct, keeps_context, one_output;
    signed char compiled_apply;  /* its apply is the compiled one (not replaced since) */
    PyObject *save_inputs;       /* borrowed: the class holds it while its version stands */
} TypeInfo;

#define TYPE_CACHE_SIZE 1024
static TypeInfo type_cache[TYPE_CACHE_SIZE];
static TypeInfo uncached;

static inline int
version_valid(PyTypeObject *tp)
{
#ifdef Py_TPFLAGS_VALID_VERSION_TAG
    return PyType_HasFeature(tp, Py_TPFLAGS_VALID_VERSION_TAG);
#else
    return tp->tp_version_tag != 0;
#endif
}

static inline int
class_flag(PyTypeObject *tp, PyObject *name, int otherwise)
{
    PyObject *v = _PyType_Lookup(tp, name);
    return v ? truth(v) : otherwise;
}

static TypeInfo *
type_info(PyTypeObject *tp)
{
    TypeInfo *ti = &type_cache[((size_t)tp >> 6) % TYPE_CACHE_SIZE];
    if (ti->tp == tp && ti->version == tp->tp_version_tag && version_valid(tp))
        return ti;
    TypeInfo fresh;
    fresh.quiet = class_flag(tp, s_quiet, 0);
    fresh.differentiable = class_flag(tp, s_differentiable, 0);
    fresh.save_output = class_flag(tp, s_save_output, 0);
    fresh.direct = class_flag(tp, s_direct, 0);
    fresh.keeps_context = class_flag(tp, s_keeps_context, 1);
    if (fresh.quiet < 0 || fresh.differentiable < 0 || fresh.save_output < 0 ||
            fresh.direct < 0 || fresh.keeps_context < 0)
        return NULL;
    fresh.save_inputs = _PyType_Lookup(tp, s_save_inputs);
    fresh.compiled_apply = apply_descr != NULL && _PyType_Lookup(tp, s_apply) == apply_descr;
    /* ops and AccumulateGrad have one output, said by the class (a custom Function's node
     * says it per instance) */
    PyObject *nout = _PyType_Lookup(tp, s_num_outputs);
    fresh.one_output = (PyType_IsSubtype(tp, Op_T) || PyType_IsSubtype(tp, Acc_T)) &&
                       nout != NULL && PyLong_CheckExact(nout) && PyLong_AsLong(nout) == 1;
    fresh.tp = tp;
    fresh.version = tp->tp_version_tag;
    if (version_valid(tp)) {
        *ti = fresh;
        return ti;
    }
    uncached = fresh;
    return &uncached;
}

/* a node's number of outputs */
static Py_ssize_t
num_outputs(PyObject *node)
{
    TypeInfo *ti = type_info(Py_TYPE(node));
    if (ti == NULL) return -1;
    if (ti->one_output) return 1;
    PyObject *v = PyObject_GetAttr(node, s_num_outputs);
    if (v == NULL) return -1;
    Py_ssize_t n = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return n;
}

/* ------------------------------------------------------------------------------------------
 * Op.apply
 * ------------------------------------------------------------------------------------------ */

/* the edge a gradient for input tensor ``t`` is sent to (new reference); sets *dead when
 * the input's node was freed by a backward pass (or the input is 0-d: see retention.py) */
static PyObject *
input_edge(PyObject *t, PyObject *shape, int *dead)
{
    PyObject *rg = SLOT(t, T_rg);
    if (rg == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_requires_grad");
        return NULL;
    }
    int need = truth(rg);
    if (need < 0) return NULL;
    if (!need) {
        Py_INCREF(NO_EDGE);
        return NO_EDGE;
    }
    PyObject *fn = SLOT(t, T_grad_fn);
    if (fn == NULL) {
        PyErr_SetString(PyExc_AttributeError, "grad_fn");
        return NULL;
    }
    if (fn != Py_None) {
        PyObject *nr = PyObject_GetAttr(t, s_output_nr);
        if (nr == NULL) return NULL;
        PyObject *edge = PyTuple_Pack(2, fn, nr);
        Py_DECREF(nr);
        if (edge == NULL) return NULL;
        int consumed;
        if (PyObject_TypeCheck(fn, Node_T) && SLOT(fn, N_consumed) != NULL) {
            consumed = truth(SLOT(fn, N_consumed));
        } else {
            PyObject *c = PyObject_GetAttr(fn, s_consumed);
            if (c == NULL) { Py_DECREF(edge); return NULL; }
            consumed = truth(c);
            Py_DECREF(c);
        }
        if (consumed < 0) { Py_DECREF(edge); return NULL; }
        Py_ssize_t ndim = PyTuple_Check(shape) ? PyTuple_GET_SIZE(shape) : PyObject_Size(shape);
        if (ndim < 0) { Py_DECREF(edge); return NULL; }
        if (consumed || ndim == 0)
            *dead = 1;
        return edge;
    }
    /* a leaf: its AccumulateGrad edge (made once, renumbered after a backward: Tensor._edge) */
    PyObject *acc = PyObject_GetAttr(t, s_accumulator);
    if (acc == NULL) return NULL;
    int renew = (acc == Py_None);
    if (!renew) {
        PyObject *accnode = PyTuple_Check(acc) && PyTuple_GET_SIZE(acc) > 0
                                ? PyTuple_GET_ITEM(acc, 0) : NULL;
        if (accnode != NULL && Py_IS_TYPE(accnode, Acc_T) && SLOT(accnode, A_ran) != NULL) {
            renew = truth(SLOT(accnode, A_ran));
        } else {
            PyObject *r = PyObject_GetAttr(accnode ? accnode : acc, s_ran);
            if (r == NULL) { Py_DECREF(acc); return NULL; }
            renew = truth(r);
            Py_DECREF(r);
        }
        if (renew < 0) { Py_DECREF(acc); return NULL; }
    }
    if (renew) {
        Py_DECREF(acc);
        acc = PyObject_CallMethodNoArgs(t, s_edge);
    }
    return acc;
}

static PyObject *
make_tuple(PyObject *const *items, Py_ssize_t n)
{
    PyObject *tup = PyTuple_New(n);
    if (tup == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(items[i]);
        PyTuple_SET_ITEM(tup, i, items[i]);
    }
    return tup;
}

static PyObject *
fast_apply(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    Py_ssize_t n = nargs - 1;
    PyTypeObject *cls;
    PyObject *const *inputs = args + 1;

    if (!ready || n < 1 || n > MAX_INPUTS || nkw > MAX_KWARGS || !PyType_Check(args[0]))
        goto python;
    cls = (PyTypeObject *)args[0];
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyObject_TypeCheck(inputs[i], Tensor_T) || SLOT(inputs[i], T_data) == NULL)
            goto python;
    }
    TypeInfo *ti = type_info(cls);
    if (ti == NULL) return NULL;
    if (ti->quiet)
        goto python;
    {
        PyObject *on = SLOT(anomaly_state, AS_on);
        int anomaly = on ? truth(on) : 1;
        if (anomaly != 0)
            goto python;  /* (the Python code records where each op was called) */
    }

    /* whether a graph is recorded: the op is differentiable, grad mode is on, and some input
     * requires grad */
    int recording = 0;
    {
        if (ti->differentiable) {
            PyObject *enabled = PyObject_GetAttr(grad_state, s_enabled);
            if (enabled == NULL) return NULL;
            int on = truth(enabled);
            Py_DECREF(enabled);
            if (on < 0) return NULL;
            if (on) {
                for (Py_ssize_t i = 0; i < n; i++) {
                    PyObject *rg = SLOT(inputs[i], T_rg);
                    int r = rg ? truth(rg) : 0;
                    if (r < 0) return NULL;
                    if (r) { recording = 1; break; }
                }
            }
        }
    }

    PyObject *node = new_object(cls);
    if (node == NULL) return NULL;
    slot_set(node, N_pre_hooks, Py_None);
    slot_set(node, N_hooks, Py_None);
    slot_set(node, N_recording, recording ? Py_True : Py_False);

    /* forward on the raw arrays, keyword parameters passed through */
    PyObject *out;
    {
        PyObject *callargs[1 + MAX_INPUTS + MAX_KWARGS];
        callargs[0] = node;
        for (Py_ssize_t i = 0; i < n; i++)
            callargs[1 + i] = SLOT(inputs[i], T_data);
        for (Py_ssize_t j = 0; j < nkw; j++)
            callargs[1 + n + j] = args[nargs + j];
        out = PyObject_VectorcallMethod(s_forward, callargs, 1 + n, kwnames);
    }
    if (out == NULL) { Py_DECREF(node); return NULL; }
    if ((PyObject *)Py_TYPE(out) != ndarray_T) {  /* a NumPy scalar from a full reduction */
        PyObject *arr = PyObject_CallOneArg(as_array, out);
        Py_DECREF(out);
        if (arr == NULL) { Py_DECREF(node); return NULL; }
        out = arr;
    }
    PyObject *result = new_object(Tensor_T);
    if (result == NULL) { Py_DECREF(out); Py_DECREF(node); return NULL; }
    slot_steal(result, T_data, out);  /* result owns out; borrowed below */
    slot_set(result, T_vc, Py_None);
    if (!recording) {
        slot_set(result, T_grad_fn, Py_None);
        slot_set(result, T_rg, Py_False);
        Py_DECREF(node);
        return result;
    }
    slot_set(node, N_freed, Py_False);
    slot_set(node, N_consumed, Py_False);

    int dead = 0;
    PyObject *edges = PyTuple_New(n), *meta = PyTuple_New(n);
    if (edges == NULL || meta == NULL) goto fail_em;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = SLOT(inputs[i], T_data);
        PyObject *shape = PyObject_GetAttr(a, s_shape);
        if (shape == NULL) goto fail_em;
        PyObject *dtype = PyObject_GetAttr(a, s_dtype);
        if (dtype == NULL) { Py_DECREF(shape); goto fail_em; }
        PyObject *edge = input_edge(inputs[i], shape, &dead);
        PyObject *m = edge ? PyTuple_Pack(2, shape, dtype) : NULL;
        Py_DECREF(shape);
        Py_DECREF(dtype);
        if (m == NULL) { Py_XDECREF(edge); goto fail_em; }
        PyTuple_SET_ITEM(edges, i, edge);
        PyTuple_SET_ITEM(meta, i, m);
    }
    slot_steal(node, N_next, edges);
    slot_steal(node, N_meta, meta);
    edges = meta = NULL;
    {
        /* after its inputs' nodes (even a leaf's new AccumulateGrad) */
        PyObject *seq = PyObject_CallNoArgs(next_seq);
        if (seq == NULL) goto fail;
        slot_steal(node, N_seq, seq);
    }
    if (dead) {  /* built on a graph a backward pass already freed? (total_loss += loss) */
        PyObject *tup = make_tuple(inputs, n);
        if (tup == NULL) goto fail;
        PyObject *r = PyObject_CallFunctionObjArgs(dead_input, node, tup, NULL);
        Py_DECREF(tup);
        if (r == NULL) goto fail;
        Py_DECREF(r);
    }
    {
        PyObject *saves = ti->save_inputs;
        int any = saves ? truth(saves) : 0;
        if (any < 0) goto fail;
        if (any) {
            PyObject *saved;
            int all = PyUnicode_Check(saves) && PyUnicode_Compare(saves, s_all) == 0;
            if (!all) {
                Py_ssize_t k = PyObject_Size(saves);
                if (k < 0) goto fail;
                all = (k == n);
            }
            if (all) {
                saved = make_tuple(inputs, n);
            } else {
                PyObject *tup = make_tuple(inputs, n);
                if (tup == NULL) goto fail;
                PyObject *seq = PySequence_Fast(saves, "save_inputs");
                if (seq == NULL) { Py_DECREF(tup); goto fail; }
                Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
                saved = PyTuple_New(k);
                for (Py_ssize_t j = 0; saved && j < k; j++) {
                    PyObject *item = PyObject_GetItem(tup, PySequence_Fast_GET_ITEM(seq, j));
                    if (item == NULL) { Py_CLEAR(saved); break; }
                    PyTuple_SET_ITEM(saved, j, item);
                }
                Py_DECREF(seq);
                Py_DECREF(tup);
            }
            if (saved == NULL) goto fail;
            slot_steal(node, N_saved, saved);
            Py_ssize_t k = PyTuple_GET_SIZE(saved);
            PyObject *versions = PyTuple_New(k);
            if (versions == NULL) goto fail;
            for (Py_ssize_t j = 0; j < k; j++) {
                PyObject *v = version_of(PyTuple_GET_ITEM(saved, j));
                if (v == NULL) { Py_DECREF(versions); goto fail; }
                PyTuple_SET_ITEM(versions, j, v);
            }
            slot_steal(node, N_saved_versions, versions);
        } else {
            slot_set(node, N_saved, Py_None);
        }
    }
    slot_set(result, T_grad_fn, node);
    slot_set(result, T_rg, Py_True);
    {
        if (ti->save_output) {
            /* the node cannot hold its output tensor (a cycle), so the two share the counter */
            PyObject *counter = new_object(VC_T);
            if (counter == NULL) goto fail;
            PyObject *zero = PyLong_FromLong(0);
            slot_steal(counter, VC_value, zero);
            slot_set(node, N_saved_out, SLOT(result, T_data));
            slot_set(node, N_out_counter, counter);
            slot_set(node, N_out_version, zero);
            slot_steal(result, T_vc, counter);
        } else {
            slot_set(node, N_saved_out, Py_None);
        }
    }
    Py_DECREF(node);
    return result;

fail_em:
    Py_XDECREF(edges);
    Py_XDECREF(meta);
fail:
    Py_DECREF(node);
    Py_DECREF(result);
    return NULL;

python:
    return PyObject_Vectorcall(py_apply, args, nargsf, kwnames);
}

/* ------------------------------------------------------------------------------------------
 * Methods with a compiled common case: Tensor.__add__ / __mul__ (two tensors of one dtype),
 * Tensor.tanh and the other one-input ops, Op.inputs / Op.output (saved values, unchanged,
 * as arrays). Each holds the Python function it stands for (``__wrapped__``), which is what
 * runs whenever the case is not the common one.
 * ------------------------------------------------------------------------------------------ */
enum { FM_BINARY = 0, FM_UNARY_FLOAT = 1, FM_UNARY = 2, FM_INPUTS = 3, FM_OUTPUT = 4 };

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int kind;
    PyObject *op;        /* the op class (FM_BINARY, FM_UNARY*) */
    PyObject *fallback;  /* the Python function */
} FastMethod;

/* op.apply(*inputs), compiled unless apply was replaced (viz.record_values does) */
static PyObject *
apply_op(PyObject *op, PyObject *const *inputs, Py_ssize_t n)
{
    TypeInfo *ti = type_info((PyTypeObject *)op);
    if (ti == NULL) return NULL;
    PyObject *args[1 + MAX_INPUTS];
    args[0] = op;
    for (Py_ssize_t i = 0; i < n; i++)
        args[1 + i] = inputs[i];
    if (ti->compiled_apply)
        return fast_apply(NULL, args, 1 + n, NULL);
    return PyObject_VectorcallMethod(s_apply, args, 1 + n, NULL);
}

static PyObject *
dtype_of(PyObject *t)  /* t.data.dtype (new reference) */
{
    PyObject *d = SLOT(t, T_data);
    if (d == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_array");
        return NULL;
    }
    return PyObject_GetAttr(d, s_dtype);
}

/* Op.inputs(F): the saved input tensors, or their arrays, after checking that none was
 * changed in place since (NULL with no error set: take the Python way) */
static PyObject *
saved_inputs(PyObject *node, PyObject *F)
{
    if (!PyObject_TypeCheck(node, Node_T)) return NULL;
    PyObject *saved = SLOT(node, N_saved), *versions = SLOT(node, N_saved_versions);
    if (saved == NULL || versions == NULL || !PyTuple_CheckExact(saved) ||
            !PyTuple_CheckExact(versions) || PyTuple_GET_SIZE(saved) != PyTuple_GET_SIZE(versions))
        return NULL;
    int raw = (F == array_math || F == owned_array_math);
    Py_ssize_t n = PyTuple_GET_SIZE(saved);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(saved, i);
        if (!PyObject_TypeCheck(t, Tensor_T)) return NULL;
        PyObject *vc = SLOT(t, T_vc);
        if (vc == NULL) return NULL;
        if (vc != Py_None) {
            if (!Py_IS_TYPE(vc, VC_T)) return NULL;
            PyObject *v = SLOT(vc, VC_value), *w = PyTuple_GET_ITEM(versions, i);
            if (v != w && (v == NULL || !PyLong_CheckExact(v) || !PyLong_CheckExact(w) ||
                           PyObject_RichCompareBool(v, w, Py_EQ) != 1)) {
                PyErr_Clear();
                return NULL;
            }
        }
        if (raw && SLOT(t, T_data) == NULL) return NULL;
    }
    if (!raw) {
        Py_INCREF(saved);
        return saved;
    }
    PyObject *arrays = PyTuple_New(n);
    if (arrays == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = SLOT(PyTuple_GET_ITEM(saved, i), T_data);
        Py_INCREF(d);
        PyTuple_SET_ITEM(arrays, i, d);
    }
    return arrays;
}

/* Op.output(F) in raw mode: the saved output array, unchanged since (NULL: the Python way) */
static PyObject *
saved_output(PyObject *node, PyObject *F)
{
    if (!PyObject_TypeCheck(node, Node_T) || (F != array_math && F != owned_array_math))
        return NULL;
    PyObject *out = SLOT(node, N_saved_out), *counter = SLOT(node, N_out_counter);
    PyObject *version = SLOT(node, N_out_version);
    if (out == NULL || out == Py_None || counter == NULL || version == NULL ||
            !Py_IS_TYPE(counter, VC_T))
        return NULL;
    PyObject *v = SLOT(counter, VC_value);
    if (v != version && (v == NULL || PyObject_RichCompareBool(v, version, Py_EQ) != 1)) {
        PyErr_Clear();
        return NULL;
    }
    Py_INCREF(out);
    return out;
}

static PyObject *
fm_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    FastMethod *fm = (FastMethod *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (!ready || kwnames != NULL)
        goto python;
    if (fm->kind <= FM_UNARY) {  /* anomaly mode: the Python way records the user's line */
        PyObject *on = SLOT(anomaly_state, AS_on);
        if (on == NULL || on != Py_False)
            goto python;
    }
    switch (fm->kind) {
    case FM_BINARY: {  /* two tensors of one dtype: straight to the op */
        if (nargs != 2 || Py_TYPE(args[1]) != Tensor_T || !PyObject_TypeCheck(args[0], Tensor_T))
            goto python;
        PyObject *da = dtype_of(args[0]);
        if (da == NULL) return NULL;
        PyObject *db = dtype_of(args[1]);
        Py_DECREF(da);
        if (db == NULL) return NULL;
        Py_DECREF(db);
        if (da != db)
            goto python;
        PyObject *r = apply_op(fm->op, args, 2);
        if (r == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();  /* (shapes that do not broadcast: the Python way says why) */
            goto python;
        }
        return r;
    }
    case FM_UNARY_FLOAT:
    case FM_UNARY: {
        if (nargs != 1 || !PyObject_TypeCheck(args[0], Tensor_T))
            goto python;
        {  /* integer and bool inputs of float-only ops, and bools of every op, take the
            * Python way */
            PyObject *dt = dtype_of(args[0]);
            if (dt == NULL) return NULL;
            PyObject *kind = PyObject_GetAttr(dt, s_kind);
            Py_DECREF(dt);
            if (kind == NULL) return NULL;
            int integral = !PyUnicode_Check(kind) || PyUnicode_GET_LENGTH(kind) != 1 ||
                           strchr(fm->kind == FM_UNARY_FLOAT ? "iub" : "b",
                                  (int)PyUnicode_READ_CHAR(kind, 0)) != NULL;
            Py_DECREF(kind);
            if (integral)
                goto python;
        }
        return apply_op(fm->op, args, 1);
    }
    case FM_INPUTS:
    case FM_OUTPUT: {
        if (nargs != 2)
            goto python;
        PyObject *r = fm->kind == FM_INPUTS ? saved_inputs(args[0], args[1])
                                            : saved_output(args[0], args[1]);
        if (r != NULL || PyErr_Occurred())
            return r;
        goto python;
    }
    }
python:
    return PyObject_Vectorcall(fm->fallback, args, nargsf, kwnames);
}

static PyObject *
fm_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    int kind;
    PyObject *op, *fallback;
    if (!PyArg_ParseTuple(args, "iOO:FastMethod", &kind, &op, &fallback))
        return NULL;
    if (kind < FM_BINARY || kind > FM_OUTPUT || !PyCallable_Check(fallback) ||
            (kind <= FM_UNARY && !PyType_Check(op))) {
        PyErr_SetString(PyExc_ValueError, "FastMethod(kind, op class, Python function)");
        return NULL;
    }
    FastMethod *fm = (FastMethod *)type->tp_alloc(type, 0);
    if (fm == NULL) return NULL;
    fm->vectorcall = fm_vectorcall;
    fm->kind = kind;
    Py_INCREF(op);
    fm->op = op;
    Py_INCREF(fallback);
    fm->fallback = fallback;
    return (PyObject *)fm;
}

static void
fm_dealloc(PyObject *self)
{
    FastMethod *fm = (FastMethod *)self;
    Py_XDECREF(fm->op);
    Py_XDECREF(fm->fallback);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *
fm_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

/* looks like the Python function it stands for: __name__, __doc__, __qualname__, ... */
static PyObject *
fm_getattro(PyObject *self, PyObject *name)
{
    FastMethod *fm = (FastMethod *)self;
    if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "__wrapped__") == 0) {
        Py_INCREF(fm->fallback);
        return fm->fallback;
    }
    static const char *own[] = {"__class__", "__reduce__", "__reduce_ex__", "__call__",
                                "__get__", "__repr__", "__getattribute__", NULL};
    int mine = !PyUnicode_Check(name);
    for (int i = 0; !mine && own[i] != NULL; i++)
        mine = PyUnicode_CompareWithASCIIString(name, own[i]) == 0;
    if (!mine) {
        PyObject *r = PyObject_GetAttr(fm->fallback, name);
        if (r != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError))
            return r;
        PyErr_Clear();
    }
    return PyObject_GenericGetAttr(self, name);
}

static PyObject *
fm_repr(PyObject *self)
{
    PyObject *name = PyObject_GetAttrString(((FastMethod *)self)->fallback, "__qualname__");
    if (name == NULL) {
        PyErr_Clear();
        return PyUnicode_FromFormat("<compiled %R>", ((FastMethod *)self)->fallback);
    }
    PyObject *r = PyUnicode_FromFormat("<function %S (compiled)>", name);
    Py_DECREF(name);
    return r;
}

/* pickled by name, as the function it stands for (found again where it is installed) */
static PyObject *
fm_reduce(PyObject *self, PyObject *unused)
{
    return PyObject_GetAttrString(((FastMethod *)self)->fallback, "__qualname__");
}

static PyMethodDef fm_methods[] = {
    {"__reduce__", fm_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject FastMethod_T = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "chaingrad.autograd._accel.FastMethod",
    .tp_basicsize = sizeof(FastMethod),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A method whose common case is compiled; __wrapped__ is its Python definition.",
    .tp_new = fm_new,
    .tp_dealloc = fm_dealloc,
    .tp_descr_get = fm_descr_get,
    .tp_getattro = fm_getattro,
    .tp_repr = fm_repr,
    .tp_methods = fm_methods,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(FastMethod, vectorcall),
};

/* ------------------------------------------------------------------------------------------
 * run_backward's node loop
 * ------------------------------------------------------------------------------------------ */
/* A max-heap of nodes keyed by creation order (Node._seq): the ready queue. */
typedef struct {
    long long key;
    PyObject *node;
} HeapItem;

typedef struct {
    HeapItem *items;
    Py_ssize_t n, cap;
} Heap;

static int
node_seq(PyObject *node, long long *key)
{
    PyObject *seq = NULL, *owned = NULL;
    if (PyObject_TypeCheck(node, Node_T))
        seq = SLOT(node, N_seq);
    if (seq == NULL) {
        seq = owned = PyObject_GetAttrString(node, "_seq");
        if (seq == NULL) return -1;
    }
    *key = PyLong_AsLongLong(seq);
    Py_XDECREF(owned);
    return (*key == -1 && PyErr_Occurred()) ? -1 : 0;
}

static int
heap_push(Heap *h, PyObject *node)
{
    long long key;
    if (node_seq(node, &key) < 0) return -1;
    if (h->n == h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 64;
        HeapItem *items = PyMem_Realloc(h->items, cap * sizeof(HeapItem));
        if (items == NULL) { PyErr_NoMemory(); return -1; }
        h->items = items;
        h->cap = cap;
    }
    Py_ssize_t i = h->n++;
    while (i > 0) {  /* sift up: the highest _seq (the most recently made node) on top */
        Py_ssize_t parent = (i - 1) / 2;
        if (h->items[parent].key >= key) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    Py_INCREF(node);
    h->items[i].key = key;
    h->items[i].node = node;
    return 0;
}

static PyObject *
heap_pop(Heap *h)  /* a new reference */
{
    PyObject *top = h->items[0].node;
    HeapItem last = h->items[--h->n];
    Py_ssize_t i = 0, n = h->n;
    for (;;) {  /* sift the last item down from the root */
        Py_ssize_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h->items[c + 1].key > h->items[c].key) c++;
        if (h->items[c].key <= last.key) break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (n > 0) h->items[i] = last;
    return top;
}

static void
heap_clear(Heap *h)
{
    for (Py_ssize_t i = 0; i < h->n; i++)
        Py_DECREF(h->items[i].node);
    PyMem_Free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}

/* memo.pop(node), a new reference (KeyError if absent, as dict.pop says) */
static PyObject *
memo_pop(PyObject *memo, PyObject *node)
{
    PyObject *v = PyDict_GetItemWithError(memo, node);
    if (v == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, node);
        return NULL;
    }
    Py_INCREF(v);
    if (PyDict_DelItem(memo, node) < 0) { Py_DECREF(v); return NULL; }
    return v;
}

static inline PyObject *
call(PyObject *fn, PyObject *const *args, Py_ssize_t n)
{
    return PyObject_Vectorcall(fn, args, n, NULL);
}

/* whether an array of this shape has at least own_min_size elements (the engine tracks
 * ownership of large arrays only); the shape is the input's, which the gradient has now */
static int
large(PyObject *shape)
{
    PyObject *seq = PySequence_Fast(shape, "shape");
    if (seq == NULL) return -1;
    Py_ssize_t size = 1, n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n && size < own_min_size; i++) {
        Py_ssize_t d = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (d == -1 && PyErr_Occurred()) { Py_DECREF(seq); return -1; }
        size *= d;
        if (d == 0) break;
    }
    Py_DECREF(seq);
    return size >= own_min_size;
}

/* a node's local derivative the short way (run_backward's common case); a new reference to
 * a tuple of gradients, one per input */
static PyObject *
direct_backward(PyObject *node, PyObject *entry, PyObject *edges, PyObject *F,
                PyObject *owned_F, PyObject *owned)
{
    PyObject *grads_in;
    Py_ssize_t n_edges = PyTuple_GET_SIZE(edges);
    if (entry == Py_None) {  /* nothing arrived: nothing to propagate */
        grads_in = PyTuple_New(n_edges);
        if (grads_in == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n_edges; i++) {
            Py_INCREF(Py_None);
            PyTuple_SET_ITEM(grads_in, i, Py_None);
        }
        return grads_in;
    }
    PyObject *Fn = F;
    if (PySet_GET_SIZE(owned) > 0) {  /* it may write into its incoming one */
        PyObject *id = PyLong_FromVoidPtr(entry);
        if (id == NULL) return NULL;
        int mine = PySet_Discard(owned, id);
        Py_DECREF(id);
        if (mine < 0) return NULL;
        if (mine) Fn = owned_F;
    }
    PyObject *callargs[3] = {node, entry, Fn};
    grads_in = PyObject_VectorcallMethod(s_backward, callargs, 3, NULL);
    if (grads_in == NULL) {
        if (!PyErr_ExceptionMatches(FloatingPointError_T)) return NULL;
        PyErr_Clear();  /* 0 * inf or 0 / 0 in the local derivative: the NaN-safe rule */
        PyObject *lst = PyList_New(1);
        if (lst == NULL) return NULL;
        Py_INCREF(entry);
        PyList_SET_ITEM(lst, 0, entry);
        PyObject *a[3] = {node, lst, Fn};
        grads_in = call(structural_zeros_fn, a, 3);
        Py_DECREF(lst);
        if (grads_in == NULL) return NULL;
    }
    if (!PyTuple_CheckExact(grads_in)) {
        PyObject *tup = PyTuple_Pack(1, grads_in);
        Py_DECREF(grads_in);
        if (tup == NULL) return NULL;
        grads_in = tup;
    }
    if (PyTuple_GET_SIZE(grads_in) != n_edges) {
        PyObject *a[2] = {node, grads_in};
        PyObject *r = call(wrong_count_fn, a, 2);  /* raises */
        Py_XDECREF(r);
        Py_DECREF(grads_in);
        return NULL;
    }
    return grads_in;
}

/* free what the node saved (Op._release, inlined as in the Python loop) */
static int
release(PyObject *node)
{
    TypeInfo *ti = type_info(Py_TYPE(node));
    if (ti == NULL) return -1;
    if (ti->keeps_context) {
        PyObject *r = PyObject_CallMethodNoArgs(node, s_release);
        if (r == NULL) return -1;
        Py_DECREF(r);
        return 0;
    }
    slot_set(node, N_consumed, Py_True);
    PyObject *s = SLOT(node, N_saved), *so = SLOT(node, N_saved_out);
    if ((s != NULL && s != Py_None) || (so != NULL && so != Py_None)) {
        slot_set(node, N_saved, Py_None);
        slot_set(node, N_saved_out, Py_None);
        slot_set(node, N_freed, Py_True);
    }
    return 0;
}

/* send gradient ``g`` (a reference the caller gives away) along ``edge`` into the memo */
static int
send(PyObject *memo, Heap *heap, PyObject *owned, int keep, PyObject *child, PyObject *edge,
     PyObject *g, PyObject *sent, PyObject *shape)
{
    int rc = -1;
    Py_ssize_t nout = num_outputs(child);
    if (nout == -1 && PyErr_Occurred()) goto done;
    PyObject *held = (g == sent) ? Py_True : Py_False;
    if (nout == 1) {
        PyObject *prev = PyDict_GetItemWithError(memo, child);
        if (prev == NULL && PyErr_Occurred()) goto done;
        if (prev == NULL || prev == Py_None) {
            if (prev == NULL && heap_push(heap, child) < 0) goto done;
            if (keep) {
                int big = large(shape);
                if (big < 0) goto done;
                if (big) {
                    PyObject *a[2] = {g, held};
                    PyObject *r = call(unshared_fn, a, 2);
                    if (r == NULL) goto done;
                    int mine = truth(r);
                    Py_DECREF(r);
                    if (mine < 0) goto done;
                    if (mine) {
                        PyObject *id = PyLong_FromVoidPtr(g);
                        if (id == NULL || PySet_Add(owned, id) < 0) { Py_XDECREF(id); goto done; }
                        Py_DECREF(id);
                    }
                }
            }
            rc = PyDict_SetItem(memo, child, g);
            goto done;
        }
        int big = 0;
        if (PySet_GET_SIZE(owned) == 0 && keep) {
            big = large(shape);
            if (big < 0) goto done;
        }
        PyObject *total;
        Py_INCREF(prev);
        if (PySet_GET_SIZE(owned) > 0 || big) {
            PyObject *a[5] = {prev, g, owned, keep ? Py_True : Py_False, sent};
            total = call(sum_into_memo_fn, a, 5);
        } else {  /* where paths meet: the sum (small arrays, nothing to reuse) */
            total = PyNumber_Add(prev, g);
            if (total == NULL && PyErr_ExceptionMatches(FloatingPointError_T)) {
                PyErr_Clear();
                PyObject *a[2] = {prev, g};
                total = call(sum_fn, a, 2);
            }
        }
        Py_DECREF(prev);
        if (total == NULL) goto done;
        rc = PyDict_SetItem(memo, child, total);
        Py_DECREF(total);
        goto done;
    }
    /* a node with several outputs: a list with one entry per output */
    PyObject *slot = PyDict_GetItemWithError(memo, child);
    if (slot == NULL && PyErr_Occurred()) goto done;
    if (slot == NULL || slot == Py_None) {
        slot = PyList_New(nout);
        if (slot == NULL) goto done;
        for (Py_ssize_t k = 0; k < nout; k++) {
            Py_INCREF(Py_None);
            PyList_SET_ITEM(slot, k, Py_None);
        }
        int err = PyDict_SetItem(memo, child, slot);
        Py_DECREF(slot);
        if (err < 0 || heap_push(heap, child) < 0) goto done;
    }
    {
        PyObject *nr = PyTuple_GET_ITEM(edge, 1);
        PyObject *prev = PyObject_GetItem(slot, nr);
        if (prev == NULL) goto done;
        PyObject *total;
        if (prev == Py_None) {
            Py_INCREF(g);
            total = g;
        } else {
            PyObject *a[5] = {prev, g, owned, keep ? Py_True : Py_False, sent};
            total = call(sum_into_memo_fn, a, 5);
        }
        Py_DECREF(prev);
        if (total == NULL) goto done;
        rc = PyObject_SetItem(slot, nr, total);
        Py_DECREF(total);
    }
done:
    Py_DECREF(g);
    return rc;
}

/* nothing was sent along ``edge``, but the child still runs (its hooks and observers see it) */
static int
touch(PyObject *memo, Heap *heap, PyObject *child)
{
    int has = PyDict_Contains(memo, child);
    if (has != 0) return has < 0 ? -1 : 0;
    Py_ssize_t nout = num_outputs(child);
    if (nout == -1 && PyErr_Occurred()) return -1;
    PyObject *v;
    if (nout == 1) {
        Py_INCREF(Py_None);
        v = Py_None;
    } else {
        v = PyList_New(nout);
        if (v == NULL) return -1;
        for (Py_ssize_t k = 0; k < nout; k++) {
            Py_INCREF(Py_None);
            PyList_SET_ITEM(v, k, Py_None);
        }
    }
    int err = PyDict_SetItem(memo, child, v);
    Py_DECREF(v);
    if (err < 0) return -1;
    return heap_push(heap, child);
}

/* engine._node_loop(ready, memo, F, owned_F, owned, retain_graph, track, watched, needed,
 * run_node): the same loop, compiled (see engine.py for what each step means) */
static PyObject *
backward_loop(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready || nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "_accel.backward_loop: not set up, or wrong arguments");
        return NULL;
    }
    PyObject *ready_list = args[0], *memo = args[1], *F = args[2], *owned_F = args[3];
    PyObject *owned = args[4], *needed = args[8], *run_node = args[9];
    int retain_graph = PyObject_IsTrue(args[5]), track = PyObject_IsTrue(args[6]);
    int watched = PyObject_IsTrue(args[7]);
    if (!PyList_Check(ready_list) || !PyDict_Check(memo) || !PySet_Check(owned)) {
        PyErr_SetString(PyExc_TypeError, "_accel.backward_loop: wrong argument types");
        return NULL;
    }
    Heap heap = {NULL, 0, 0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(ready_list); i++) {
        PyObject *item = PyList_GET_ITEM(ready_list, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "ready: (key, node) pairs expected");
            goto error;
        }
        if (heap_push(&heap, PyTuple_GET_ITEM(item, 1)) < 0) goto error;
    }
    while (heap.n) {
        PyObject *node = heap_pop(&heap);
        PyObject *entry = NULL, *edges = NULL, *grads_in = NULL, *meta = NULL;
        int ok = 0;
        int fast = 0, keep = track;
        entry = memo_pop(memo, node);  /* complete: every consumer has sent its part */
        if (entry == NULL) goto node_done;
        if (PyObject_TypeCheck(node, Node_T) && SLOT(node, N_next) != NULL &&
                PyTuple_Check(SLOT(node, N_next))) {
            edges = SLOT(node, N_next);
            Py_INCREF(edges);
        } else {
            edges = PyObject_GetAttrString(node, "next_functions");
            if (edges == NULL) goto node_done;
        }
        if (!watched && PyObject_TypeCheck(node, Node_T) && PyTuple_Check(edges)) {
            TypeInfo *ti = type_info(Py_TYPE(node));
            if (ti == NULL) goto node_done;
            fast = ti->direct;
        }
        if (fast) {
            PyObject *freed = SLOT(node, N_freed);
            fast = (freed == NULL || freed == Py_False);
        }
        if (fast) {  /* (a slot never set reads as None: no hooks) */
            PyObject *pre = SLOT(node, N_pre_hooks), *post = SLOT(node, N_hooks);
            fast = (pre == NULL || pre == Py_None) && (post == NULL || post == Py_None);
        }
        if (fast) {
            /* the common case: one output gradient in, the local derivative (chain rule),
             * one gradient per input out */
            grads_in = direct_backward(node, entry, edges, F, owned_F, owned);
            if (grads_in == NULL) goto node_done;
            if (!retain_graph && release(node) < 0) goto node_done;
        } else {  /* the long way: hooks, captures, an observer, anomaly checks, leaves */
            PyObject *a[2] = {node, entry};
            grads_in = call(run_node, a, 2);
            if (grads_in == NULL) goto node_done;
            if (grads_in == Py_None) {  /* a leaf's AccumulateGrad, or nothing needed below */
                ok = 1;
                goto node_done;
            }
            if (keep) {
                PyObject *h = PyObject_TypeCheck(node, Node_T) ? SLOT(node, N_hooks) : NULL;
                if (h == NULL) h = Py_None;
                int hooked = truth(h);
                if (hooked < 0) goto node_done;
                keep = !hooked;  /* a node hook may keep grads_in */
            }
        }
        /* send each input its gradient (summed back to the input's shape and dtype); a child
         * is ready once all its consumers have sent theirs */
        meta = PyObject_TypeCheck(node, Node_T) && SLOT(node, N_meta) ? SLOT(node, N_meta)
                                                                      : NULL;
        if (meta == NULL) {
            meta = PyObject_GetAttrString(node, "_input_meta");
            if (meta == NULL) goto node_done;
        } else {
            Py_INCREF(meta);
        }
        {
            PyObject *edge_seq = PySequence_Fast(edges, "next_functions");
            if (edge_seq == NULL) goto node_done;
            Py_ssize_t n_edges = PySequence_Fast_GET_SIZE(edge_seq);
            int failed = 0;
            for (Py_ssize_t i = 0; i < n_edges && !failed; i++) {
                PyObject *edge = PySequence_Fast_GET_ITEM(edge_seq, i);
                if (edge == NO_EDGE) continue;  /* an input that needs no gradient */
                if (!PyTuple_CheckExact(edge) || PyTuple_GET_SIZE(edge) == 0) {
                    int t = PyObject_IsTrue(edge);
                    if (t < 0) { failed = 1; break; }
                    if (!t) continue;
                }
                PyObject *child = PyTuple_GET_ITEM(edge, 0);
                if (needed != Py_None) {
                    int in = PySet_Contains(needed, child);
                    if (in < 0) { failed = 1; break; }
                    if (!in) continue;
                }
                PyObject *sent = PySequence_GetItem(grads_in, i);  /* new reference */
                if (sent == NULL) { failed = 1; break; }
                if (sent == Py_None) {
                    Py_DECREF(sent);
                    if (touch(memo, &heap, child) < 0) failed = 1;
                    continue;
                }
                PyObject *g = sent;  /* the caller's reference, as in the Python loop */
                Py_INCREF(g);
                PyObject *m = PySequence_GetItem(meta, i);
                PyObject *mshape = NULL, *mdtype = NULL;
                if (m != NULL && PyTuple_Check(m) && PyTuple_GET_SIZE(m) == 2) {
                    mshape = PyTuple_GET_ITEM(m, 0);
                    mdtype = PyTuple_GET_ITEM(m, 1);
                } else if (m != NULL) {
                    PyErr_SetString(PyExc_TypeError, "_input_meta: (shape, dtype) pairs");
                }
                int fit = -1;
                if (mshape != NULL) {
                    PyObject *dtype = PyObject_GetAttr(g, s_dtype);
                    if (dtype != NULL) {
                        if (dtype != mdtype) {
                            fit = 1;
                        } else {
                            PyObject *shape = PyObject_GetAttr(g, s_shape);
                            fit = shape ? PyObject_RichCompareBool(shape, mshape, Py_NE) : -1;
                            Py_XDECREF(shape);
                        }
                        Py_DECREF(dtype);
                    }
                }
                if (fit > 0) {  /* summed back to the input's shape, cast to its dtype */
                    PyObject *idx = PyLong_FromSsize_t(i);
                    PyObject *a[5] = {node, idx, g, m, F};
                    PyObject *fitted = idx ? call(fit_fn, a, 5) : NULL;
                    Py_XDECREF(idx);
                    Py_DECREF(g);
                    g = fitted;
                    if (g == NULL) fit = -1;
                }
                if (fit < 0) {
                    Py_XDECREF(g);
                    Py_XDECREF(m);
                    Py_DECREF(sent);
                    failed = 1;
                    break;
                }
                /* drop the extra reference from the item: the tuple holds one, as in Python */
                Py_DECREF(sent);
                if (send(memo, &heap, owned, keep, child, edge, g, sent, mshape) < 0)
                    failed = 1;
                Py_DECREF(m);
            }
            Py_DECREF(edge_seq);
            if (failed) goto node_done;
        }
        ok = 1;
    node_done:
        Py_XDECREF(meta);
        Py_XDECREF(grads_in);
        Py_XDECREF(edges);
        Py_XDECREF(entry);
        Py_DECREF(node);
        if (!ok) goto error;
        continue;
    }
    heap_clear(&heap);
    Py_RETURN_NONE;
error:
    heap_clear(&heap);
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * setup
 * ------------------------------------------------------------------------------------------ */

static PyObject *
setup(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"Tensor", "Node", "AccumulateGrad", "VersionCounter", "ndarray",
                            "py_apply", "as_array", "next_seq", "dead_input", "NO_EDGE",
                            "grad_state", "anomaly_state", "fit", "structural_zeros",
                            "wrong_count", "sum_into_memo", "unshared", "sum",
                            "own_min_size", "Op", "array_math", "owned_array_math", NULL};
    PyObject *t, *nd, *a, *vc, *nda, *op;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "O!O!O!O!OOOOOOOOOOOOOOnO!OO", names, &PyType_Type, &t, &PyType_Type,
            &nd, &PyType_Type, &a, &PyType_Type, &vc, &nda, &py_apply, &as_array, &next_seq,
            &dead_input, &NO_EDGE, &grad_state, &anomaly_state, &fit_fn,
            &structural_zeros_fn, &wrong_count_fn, &sum_into_memo_fn, &unshared_fn, &sum_fn,
            &own_min_size, &PyType_Type, &op, &array_math, &owned_array_math))
        return NULL;
    Op_T = (PyTypeObject *)op;
    Tensor_T = (PyTypeObject *)t;
    Node_T = (PyTypeObject *)nd;
    Acc_T = (PyTypeObject *)a;
    VC_T = (PyTypeObject *)vc;
    ndarray_T = nda;
    PyObject *keep[] = {t, nd, a, vc, nda, py_apply, as_array, next_seq, dead_input, NO_EDGE,
                        grad_state, anomaly_state, fit_fn, structural_zeros_fn,
                        wrong_count_fn, sum_into_memo_fn, unshared_fn, sum_fn, op, array_math,
                        owned_array_math};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        Py_INCREF(keep[i]);  /* held for the life of the process */
    struct { PyTypeObject *tp; const char *name; Py_ssize_t *off; } specs[] = {
        {Tensor_T, "_array", &T_data}, {Tensor_T, "_requires_grad", &T_rg},
        {Tensor_T, "grad_fn", &T_grad_fn}, {Tensor_T, "_vc", &T_vc},
        {Node_T, "next_functions", &N_next}, {Node_T, "_input_meta", &N_meta},
        {Node_T, "_saved", &N_saved}, {Node_T, "_saved_versions", &N_saved_versions},
        {Node_T, "_saved_out", &N_saved_out}, {Node_T, "_out_counter", &N_out_counter},
        {Node_T, "_out_version", &N_out_version}, {Node_T, "_freed", &N_freed},
        {Node_T, "_consumed", &N_consumed}, {Node_T, "recording", &N_recording},
        {Node_T, "_seq", &N_seq}, {Node_T, "_pre_hooks", &N_pre_hooks},
        {Node_T, "_hooks", &N_hooks}, {Acc_T, "_ran", &A_ran}, {VC_T, "value", &VC_value},
        {Py_TYPE(anomaly_state), "on", &AS_on},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (slot_offset(specs[i].tp, specs[i].name, specs[i].off) < 0)
            return NULL;
    ready = 1;
    Py_RETURN_NONE;
}

static PyObject *
set_apply(PyObject *module, PyObject *descr)
{
    /* Op.__dict__["apply"] as installed (None: not installed); classes still holding it may
     * be applied straight from the compiled methods */
    Py_XDECREF(apply_descr);
    apply_descr = descr == Py_None ? NULL : descr;
    Py_XINCREF(apply_descr);
    memset(type_cache, 0, sizeof(type_cache));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"set_apply", set_apply, METH_O, "Which Op.apply is the compiled one (see accel.py)."},
    {"setup", (PyCFunction)(void (*)(void))setup, METH_VARARGS | METH_KEYWORDS,
     "Bind the engine's classes and helpers (autograd/_fast.py does this once)."},
    {"apply", (PyCFunction)(void (*)(void))fast_apply, METH_FASTCALL | METH_KEYWORDS,
     "Op.apply(cls, *inputs, **params), compiled (see autograd/function.py)."},
    {"backward_loop", (PyCFunction)(void (*)(void))backward_loop, METH_FASTCALL,
     "run_backward's node loop, compiled (see autograd/engine.py, _node_loop)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_accel",
                                       "The engine's hot loops, compiled (optional).", -1,
                                       methods};

PyMODINIT_FUNC
PyInit__accel(void)
{
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    if (PyType_Ready(&FastMethod_T) < 0) return NULL;
    Py_INCREF(&FastMethod_T);
    if (PyModule_AddObject(m, "FastMethod", (PyObject *)&FastMethod_T) < 0) return NULL;
    if (PyModule_AddIntConstant(m, "BINARY", FM_BINARY) < 0 ||
            PyModule_AddIntConstant(m, "UNARY_FLOAT", FM_UNARY_FLOAT) < 0 ||
            PyModule_AddIntConstant(m, "UNARY", FM_UNARY) < 0 ||
            PyModule_AddIntConstant(m, "INPUTS", FM_INPUTS) < 0 ||
            PyModule_AddIntConstant(m, "OUTPUT", FM_OUTPUT) < 0)
        return NULL;
    FloatingPointError_T = PyExc_FloatingPointError;
#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL
    INTERN(s_forward, "forward"); INTERN(s_backward, "backward");
    INTERN(s_differentiable, "differentiable"); INTERN(s_quiet, "quiet");
    INTERN(s_save_inputs, "save_inputs"); INTERN(s_save_output, "save_output");
    INTERN(s_enabled, "enabled"); INTERN(s_output_nr, "_output_nr");
    INTERN(s_accumulator, "_accumulator"); INTERN(s_edge, "_edge"); INTERN(s_shape, "shape");
    INTERN(s_dtype, "dtype"); INTERN(s_all, "all"); INTERN(s_direct, "_direct");
    INTERN(s_keeps_context, "_keeps_context"); INTERN(s_release, "_release");
    INTERN(s_num_outputs, "num_outputs"); INTERN(s_ran, "_ran");
    INTERN(s_consumed, "_consumed"); INTERN(s_value, "value"); INTERN(s_apply, "apply");
    INTERN(s_kind, "kind");
#undef INTERN
    return m;
}
