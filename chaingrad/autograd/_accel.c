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

#define MAX_INPUTS 8
#define MAX_KWARGS 8

/* --- what setup() is given ------------------------------------------------------------ */
static PyTypeObject *Tensor_T, *Node_T, *Acc_T, *VC_T;
static PyObject *ndarray_T;
static PyObject *py_apply;      /* Op.apply as Python: the reference, and the way for the rest */
static PyObject *as_array, *next_seq, *dead_input, *NO_EDGE, *grad_state, *anomaly_state;
/* engine helpers (autograd/engine.py) */
static PyObject *fit_fn, *structural_zeros_fn, *wrong_count_fn, *sum_into_memo_fn;
static PyObject *unshared_fn, *sum_fn;
static PyObject *FloatingPointError_T;
static Py_ssize_t own_min_size;
static int ready = 0;

static PyObject *empty_tuple;
static PyObject *s_forward, *s_backward, *s_differentiable, *s_quiet, *s_save_inputs,
    *s_save_output, *s_enabled, *s_on, *s_output_nr, *s_accumulator, *s_edge, *s_shape,
    *s_dtype, *s_all, *s_direct, *s_pre_hooks, *s_hooks, *s_keeps_context, *s_release,
    *s_num_outputs, *s_size, *s_ran, *s_consumed, *s_value;

/* slot offsets: Tensor, Node, AccumulateGrad, _VersionCounter */
static Py_ssize_t T_data, T_rg, T_grad_fn, T_vc;
static Py_ssize_t N_next, N_meta, N_saved, N_saved_versions, N_saved_out, N_out_counter,
    N_out_version, N_freed, N_consumed, N_recording, N_seq;
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

/* a class attribute (borrowed; the op classes keep plain values there) */
static inline PyObject *
class_attr(PyTypeObject *tp, PyObject *name)
{
    return _PyType_Lookup(tp, name);
}

static PyObject *
new_object(PyTypeObject *tp)
{
    /* object.__new__(tp): allocation, and the instance dict set up as Python does */
    return PyBaseObject_Type.tp_new(tp, empty_tuple, NULL);
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
    {
        PyObject *quiet = class_attr(cls, s_quiet);
        if (quiet == NULL || truth(quiet) != 0)
            goto python;
        PyObject *on = PyObject_GetAttr(anomaly_state, s_on);
        if (on == NULL) return NULL;
        int anomaly = truth(on);
        Py_DECREF(on);
        if (anomaly != 0)
            goto python;  /* (the Python code records where each op was called) */
    }

    /* whether a graph is recorded: the op is differentiable, grad mode is on, and some input
     * requires grad */
    int recording = 0;
    {
        PyObject *diff = class_attr(cls, s_differentiable);
        int differentiable = diff ? truth(diff) : 0;
        if (differentiable < 0) return NULL;
        if (differentiable) {
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
        PyObject *saves = class_attr(cls, s_save_inputs);
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
        PyObject *so = class_attr(cls, s_save_output);
        int save_out = so ? truth(so) : 0;
        if (save_out < 0) goto fail;
        if (save_out) {
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
 * run_backward's node loop
 * ------------------------------------------------------------------------------------------ */
/* BACKWARD_LOOP */

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
                            "own_min_size", NULL};
    PyObject *t, *nd, *a, *vc, *nda;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "O!O!O!O!OOOOOOOOOOOOOOn", names, &PyType_Type, &t, &PyType_Type,
            &nd, &PyType_Type, &a, &PyType_Type, &vc, &nda, &py_apply, &as_array, &next_seq,
            &dead_input, &NO_EDGE, &grad_state, &anomaly_state, &fit_fn,
            &structural_zeros_fn, &wrong_count_fn, &sum_into_memo_fn, &unshared_fn, &sum_fn,
            &own_min_size))
        return NULL;
    Tensor_T = (PyTypeObject *)t;
    Node_T = (PyTypeObject *)nd;
    Acc_T = (PyTypeObject *)a;
    VC_T = (PyTypeObject *)vc;
    ndarray_T = nda;
    PyObject *keep[] = {t, nd, a, vc, nda, py_apply, as_array, next_seq, dead_input, NO_EDGE,
                        grad_state, anomaly_state, fit_fn, structural_zeros_fn,
                        wrong_count_fn, sum_into_memo_fn, unshared_fn, sum_fn};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        Py_INCREF(keep[i]);  /* held for the life of the process */
    struct { PyTypeObject *tp; const char *name; Py_ssize_t *off; } specs[] = {
        {Tensor_T, "data", &T_data}, {Tensor_T, "_requires_grad", &T_rg},
        {Tensor_T, "grad_fn", &T_grad_fn}, {Tensor_T, "_vc", &T_vc},
        {Node_T, "next_functions", &N_next}, {Node_T, "_input_meta", &N_meta},
        {Node_T, "_saved", &N_saved}, {Node_T, "_saved_versions", &N_saved_versions},
        {Node_T, "_saved_out", &N_saved_out}, {Node_T, "_out_counter", &N_out_counter},
        {Node_T, "_out_version", &N_out_version}, {Node_T, "_freed", &N_freed},
        {Node_T, "_consumed", &N_consumed}, {Node_T, "recording", &N_recording},
        {Node_T, "_seq", &N_seq}, {Acc_T, "_ran", &A_ran}, {VC_T, "value", &VC_value},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (slot_offset(specs[i].tp, specs[i].name, specs[i].off) < 0)
            return NULL;
    ready = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"setup", (PyCFunction)(void (*)(void))setup, METH_VARARGS | METH_KEYWORDS,
     "Bind the engine's classes and helpers (autograd/_fast.py does this once)."},
    {"apply", (PyCFunction)(void (*)(void))fast_apply, METH_FASTCALL | METH_KEYWORDS,
     "Op.apply(cls, *inputs, **params), compiled (see autograd/function.py)."},
    /* BACKWARD_LOOP_METHOD */
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_accel",
                                       "The engine's hot loops, compiled (optional).", -1,
                                       methods};

PyMODINIT_FUNC
PyInit__accel(void)
{
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    empty_tuple = PyTuple_New(0);
    FloatingPointError_T = PyExc_FloatingPointError;
#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL
    INTERN(s_forward, "forward"); INTERN(s_backward, "backward");
    INTERN(s_differentiable, "differentiable"); INTERN(s_quiet, "quiet");
    INTERN(s_save_inputs, "save_inputs"); INTERN(s_save_output, "save_output");
    INTERN(s_enabled, "enabled"); INTERN(s_on, "on"); INTERN(s_output_nr, "_output_nr");
    INTERN(s_accumulator, "_accumulator"); INTERN(s_edge, "_edge"); INTERN(s_shape, "shape");
    INTERN(s_dtype, "dtype"); INTERN(s_all, "all"); INTERN(s_direct, "_direct");
    INTERN(s_pre_hooks, "_pre_hooks"); INTERN(s_hooks, "_hooks");
    INTERN(s_keeps_context, "_keeps_context"); INTERN(s_release, "_release");
    INTERN(s_num_outputs, "num_outputs"); INTERN(s_size, "size"); INTERN(s_ran, "_ran");
    INTERN(s_consumed, "_consumed"); INTERN(s_value, "value");
#undef INTERN
    return m;
}
