/* The common arXiv snapshot record, prepared for storing in compiled code.
 *
 * `prepared(postgres, number, row)` takes one JSON line's object (as orjson decoded it) and returns
 * what the Python path makes of it in a parser process: (the PaperRecord's fields as a tuple, its
 * content hash, its record columns in COPY text or None), see digest.papers.services._prepared.
 * It returns None for anything outside the common shape (non-ASCII title or abstract, unusual ids
 * or dates, anything the Python path would reject or clean differently), and such a row takes the
 * Python path: this module only has to be exact on what it accepts, and
 * tests/ingest/test_the_compiled_arxiv_path_prepares_what_the_python_path_does.py holds it to that.
 *
 * Where Python's own semantics matter and the call is cheap (author names, URLs, SHA-1, JSON), it
 * calls the same Python functions the Python path does, handed over once by `configure`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <string.h>

/* normalise's limits, handed over by `configure`. */
static Py_ssize_t MAX_TITLE, MAX_ABSTRACT, MAX_AUTHORS, MAX_CATEGORIES, MAX_URLS, MAX_AUTHOR_NAME;

static PyObject *source_name, *author_clean, *urls_extract, *sha1, *json_dumps, *utc;
static PyObject *record_error;
/* Dictionary keys and method names, interned once. */
static PyObject *ID, *TITLE, *ABSTRACT, *VERSIONS, *CREATED, *VERSION, *AUTHORS, *AUTHORS_PARSED,
    *CATEGORIES, *STRIP, *HEXDIGEST;

static inline PyObject *get(PyObject *dict, PyObject *key) { return PyDict_GetItemWithError(dict, key); }

/* --- A growable byte buffer ------------------------------------------------------------------ */

typedef struct {
    char *data;
    Py_ssize_t length, capacity;
} Buffer;

static int buffer_reserve(Buffer *buffer, Py_ssize_t extra) {
    if (buffer->length + extra <= buffer->capacity) return 0;
    Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + extra) capacity *= 2;
    char *data = PyMem_Realloc(buffer->data, capacity);
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

static int buffer_add(Buffer *buffer, const char *text, Py_ssize_t length) {
    if (buffer_reserve(buffer, length) < 0) return -1;
    memcpy(buffer->data + buffer->length, text, length);
    buffer->length += length;
    return 0;
}

static int buffer_char(Buffer *buffer, char c) { return buffer_add(buffer, &c, 1); }

/* --- ASCII text, as str.split(), str.strip() and the normalise module see it ------------------ */

/* Character classes of ASCII, looked up rather than compared: the loops below read every
 * character of every abstract. */
enum {
    SPACE = 1,  /* what str.split() splits ASCII text on */
    BAD = 2,    /* what normalise.check_text rejects: C0 controls other than \t-\r, and DEL */
    ESCAPE = 4, /* what COPY's text format escapes */
    BREAK = 8,  /* what normalise.clean_abstract treats as a line break */
    ALNUM = 16,
};
static unsigned char CLASS[256];

static void classes_fill(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char flags = 0;
        if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) flags |= SPACE;
        if (c < '\t' || (c > '\r' && c < 0x20) || c == 0x7f) flags |= BAD;
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') flags |= ESCAPE;
        if (c == '\n' || c == '\r' || c == '\f' || c == '\v') flags |= BREAK;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) flags |= ALNUM;
        CLASS[c] = flags;
    }
}

static inline int is_space(unsigned char c) { return CLASS[c] & SPACE; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline int is_alnum(unsigned char c) { return CLASS[c] & ALNUM; }

/* The classes of all the characters of a text, together. */
static unsigned char classes_of(const char *text, Py_ssize_t length) {
    unsigned char flags = 0;
    for (Py_ssize_t i = 0; i < length; i++) flags |= CLASS[(unsigned char)text[i]];
    return flags;
}

/* COPY's text format: backslash, tab, newline and carriage return escaped. */
static int buffer_escaped(Buffer *buffer, const char *text, Py_ssize_t length) {
    if (buffer_reserve(buffer, 2 * length) < 0) return -1;
    char *out = buffer->data + buffer->length;
    Py_ssize_t i = 0;
    while (i < length) {
        Py_ssize_t start = i;
        while (i < length && !(CLASS[(unsigned char)text[i]] & ESCAPE)) i++;
        memcpy(out, text + start, i - start);
        out += i - start;
        if (i == length) break;
        char c = text[i++];
        *out++ = '\\';
        *out++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    }
    buffer->length = out - buffer->data;
    return 0;
}

/* The ASCII bytes of an exact str, or NULL (no error set) when it is anything else. */
static const char *ascii_of(PyObject *value, Py_ssize_t *length) {
    if (!value || !PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value)) return NULL;
    *length = PyUnicode_GET_LENGTH(value);
    return (const char *)PyUnicode_1BYTE_DATA(value);
}

/* normalise.check_text's acceptance for ASCII text of the given classes: not blank, within the
 * limit, no character it rejects. */
static int text_acceptable(const char *text, Py_ssize_t length, unsigned char flags, Py_ssize_t limit) {
    if (length > limit || (flags & BAD)) return 0;
    for (Py_ssize_t i = 0; i < length; i++)
        if (!is_space(text[i])) return 1;
    return 0;
}

/* Whether " ".join(text.split()) is the text itself (normalise._is_collapsed): its only
 * whitespace single spaces between words. */
static int is_collapsed(const char *text, Py_ssize_t length, unsigned char flags) {
    if (flags & BREAK) return 0;
    if (length && (text[0] == ' ' || text[length - 1] == ' ')) return 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char c = text[i];
        if ((CLASS[c] & SPACE) && (c != ' ' || text[i + 1] == ' ')) return 0;
    }
    return 1;
}

/* The words of a text joined by single spaces, appended: with `folded`, normalise.fold for ASCII
 * (words are runs of letters and digits, lower-cased), else " ".join(text.split()). */
static int buffer_words(Buffer *buffer, const char *text, Py_ssize_t length, int folded) {
    if (buffer_reserve(buffer, length) < 0) return -1;
    char *out = buffer->data + buffer->length;
    int pending = 0, any = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char c = text[i];
        if (folded ? !is_alnum(c) : is_space(c)) {
            pending = any;
            continue;
        }
        if (pending) *out++ = ' ';
        pending = 0;
        any = 1;
        *out++ = (folded && c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    buffer->length = out - buffer->data;
    return 0;
}

static int buffer_collapsed(Buffer *buffer, const char *text, Py_ssize_t length) {
    return buffer_words(buffer, text, length, 0);
}

/* normalise.clean_abstract for ASCII text of the given classes: hard line breaks unwrapped,
 * paragraphs (a blank line, or a line starting with spaces or tabs) kept apart by one blank line. */
static int buffer_abstract(Buffer *buffer, const char *raw, Py_ssize_t raw_length, unsigned char flags) {
    if (!(flags & BREAK)) return buffer_collapsed(buffer, raw, raw_length);
    /* \r\n and \r to \n, \f to a blank line, \v to \n. */
    Buffer text = {0};
    if (buffer_reserve(&text, 2 * raw_length + 1) < 0) return -1;
    for (Py_ssize_t i = 0; i < raw_length; i++) {
        char c = raw[i];
        if (c == '\r') {
            text.data[text.length++] = '\n';
            if (i + 1 < raw_length && raw[i + 1] == '\n') i++;
        } else if (c == '\f') {
            text.data[text.length++] = '\n';
            text.data[text.length++] = '\n';
        } else if (c == '\v') {
            text.data[text.length++] = '\n';
        } else {
            text.data[text.length++] = c;
        }
    }
    Py_ssize_t start = 0, end = text.length;
    while (start < end && is_space(text.data[start])) start++;
    while (end > start && is_space(text.data[end - 1])) end--;
    const char *t = text.data;
    /* re.split on r"\n[ \t]*\n|\n(?=[ \t]+\S)", each part collapsed, the empty ones dropped. */
    Py_ssize_t part = start, i = start;
    int written = 0;
    int status = 0;
    while (i <= end) {
        Py_ssize_t part_end = -1, next = 0;
        if (i == end) {
            part_end = end;
            next = end + 1;
        } else if (t[i] == '\n') {
            Py_ssize_t j = i + 1;
            while (j < end && (t[j] == ' ' || t[j] == '\t')) j++;
            if (j < end && t[j] == '\n') {
                part_end = i;
                next = j + 1;
            } else if (j > i + 1 && j < end && !is_space(t[j])) {
                part_end = i;
                next = i + 1;
            }
        }
        if (part_end < 0) {
            i++;
            continue;
        }
        Py_ssize_t before = buffer->length;
        if (written && buffer_add(buffer, "\n\n", 2) < 0) {
            status = -1;
            break;
        }
        Py_ssize_t content = buffer->length;
        if (buffer_collapsed(buffer, t + part, part_end - part) < 0) {
            status = -1;
            break;
        }
        if (buffer->length == content)
            buffer->length = before; /* an empty paragraph: no separator either */
        else
            written = 1;
        part = i = next;
    }
    PyMem_Free(text.data);
    return status;
}

/* normalise.clean_title, or with `paragraphs` clean_abstract, of acceptable ASCII text of the
 * given classes: the text itself where it is already clean, as normalise keeps it. `scratch` is
 * left empty. */
static PyObject *text_cleaned(PyObject *text, unsigned char flags, int paragraphs, Buffer *scratch) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const char *raw = (const char *)PyUnicode_1BYTE_DATA(text);
    if (is_collapsed(raw, length, flags)) return Py_NewRef(text);
    int status = paragraphs ? buffer_abstract(scratch, raw, length, flags) : buffer_collapsed(scratch, raw, length);
    PyObject *result = status < 0 ? NULL : PyUnicode_FromStringAndSize(scratch->data, scratch->length);
    scratch->length = 0;
    return result;
}

/* --- arXiv ids and dates ---------------------------------------------------------------------- */

/* normalise.arxiv_id_parse for an id written plainly, new style (2401.01234v2) or old style
 * (hep-th/9901001v1): the length of the id without version, the version or -1 for none; 0 when the
 * id is written any other way. */
static Py_ssize_t arxiv_id_split(const char *id, Py_ssize_t length, long *version) {
    Py_ssize_t i = 0, base;
    if (length >= 9 && is_digit(id[0]) && is_digit(id[1]) && is_digit(id[2]) && is_digit(id[3]) &&
        id[4] == '.') {
        i = 5;
        while (i < length && is_digit(id[i])) i++;
        if (i - 5 < 4 || i - 5 > 5) return 0;
    } else {
        if (length < 1 || !is_alpha(id[0])) return 0;
        i = 1;
        while (i < length && (is_alpha(id[i]) || id[i] == '-')) i++;
        if (i + 2 < length && id[i] == '.' && is_alpha(id[i + 1]) && is_alpha(id[i + 2])) i += 3;
        if (i >= length || id[i] != '/') return 0;
        i++;
        Py_ssize_t digits = i;
        while (i < length && is_digit(id[i])) i++;
        if (i - digits != 7) return 0;
    }
    base = i;
    *version = -1;
    if (i == length) return base;
    if (id[i] != 'v' || length - i - 1 < 1 || length - i - 1 > 9) return 0;
    long value = 0;
    for (i = i + 1; i < length; i++) {
        if (!is_digit(id[i])) return 0;
        value = value * 10 + (id[i] - '0');
    }
    *version = value;
    return base;
}

typedef struct {
    int year, month, day, hour, minute, second;
} Moment;

static const char *MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return 29;
    return days[month - 1];
}

/* The snapshot's "Mon, 2 Apr 2007 19:18:42 GMT", read as arxiv_snapshot._rfc2822's direct path reads
 * it; 0 for any other shape (the Python path decides those). */
static int rfc2822_parse(PyObject *value, Moment *moment) {
    Py_ssize_t length;
    const char *text = ascii_of(value, &length);
    if (!text) return 0;
    const char *token[6];
    Py_ssize_t size[6];
    int count = 0;
    Py_ssize_t i = 0;
    while (i < length) {
        while (i < length && is_space(text[i])) i++;
        if (i == length) break;
        if (count == 6) return 0;
        token[count] = text + i;
        while (i < length && !is_space(text[i])) i++;
        size[count] = text + i - token[count];
        count++;
    }
    if (count != 6 || size[5] != 3 || memcmp(token[5], "GMT", 3) != 0) return 0;
    if (size[2] != 3) return 0;
    moment->month = 0;
    for (int m = 0; m < 12; m++)
        if (memcmp(token[2], MONTHS[m], 3) == 0) moment->month = m + 1;
    if (!moment->month) return 0;
    if (size[1] < 1 || size[1] > 2 || size[3] != 4 || size[4] != 8) return 0;
    const char *d = token[1], *y = token[3], *t = token[4];
    for (int k = 0; k < size[1]; k++)
        if (!is_digit(d[k])) return 0;
    for (int k = 0; k < 4; k++)
        if (!is_digit(y[k])) return 0;
    if (!(is_digit(t[0]) && is_digit(t[1]) && t[2] == ':' && is_digit(t[3]) && is_digit(t[4]) &&
          t[5] == ':' && is_digit(t[6]) && is_digit(t[7])))
        return 0;
    moment->day = size[1] == 1 ? d[0] - '0' : (d[0] - '0') * 10 + (d[1] - '0');
    moment->year = ((y[0] - '0') * 10 + (y[1] - '0')) * 100 + (y[2] - '0') * 10 + (y[3] - '0');
    moment->hour = (t[0] - '0') * 10 + (t[1] - '0');
    moment->minute = (t[3] - '0') * 10 + (t[4] - '0');
    moment->second = (t[6] - '0') * 10 + (t[7] - '0');
    if (moment->year < 1 || moment->day < 1 || moment->day > days_in_month(moment->year, moment->month) ||
        moment->hour > 23 || moment->minute > 59 || moment->second > 59)
        return 0;
    return 1;
}

static long long epoch_seconds(const Moment *m) {
    /* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
    long long y = m->year - (m->month <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m->month + (m->month > 2 ? -3 : 9)) + 2) / 5 + m->day - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    return days * 86400 + m->hour * 3600 + m->minute * 60 + m->second;
}

static int moments_equal(const Moment *a, const Moment *b) {
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second;
}

static PyObject *moment_datetime(const Moment *m) {
    return PyDateTimeAPI->DateTime_FromDateAndTime(m->year, m->month, m->day, m->hour, m->minute,
                                                   m->second, 0, utc, PyDateTimeAPI->DateTimeType);
}

/* datetime.isoformat() of a whole second in UTC. */
static int buffer_isoformat(Buffer *buffer, const Moment *m) {
    char text[32];
    int length = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d+00:00", m->year, m->month,
                          m->day, m->hour, m->minute, m->second);
    return buffer_add(buffer, text, length);
}

/* str(datetime.timestamp()) of a whole second: a float with a ".0" (below 1e16, which dates are). */
static int buffer_timestamp(Buffer *buffer, const Moment *m) {
    char text[32];
    int length = snprintf(text, sizeof text, "%lld.0", epoch_seconds(m));
    return buffer_add(buffer, text, length);
}

/* --- Authors and categories ------------------------------------------------------------------- */

/* text.strip(): for ASCII text here, else by the method itself. */
static PyObject *stripped(PyObject *text) {
    Py_ssize_t length;
    const char *data = ascii_of(text, &length);
    if (!data) return PyObject_CallMethodNoArgs(text, STRIP);
    Py_ssize_t start = 0, end = length;
    while (start < end && is_space(data[start])) start++;
    while (end > start && is_space(data[end - 1])) end--;
    if (start == 0 && end == length) return Py_NewRef(text);
    return PyUnicode_Substring(text, start, end);
}

/* left + separator + right, for two str. */
static PyObject *joined(PyObject *left, const char *separator, PyObject *right) {
    Py_ssize_t left_length = 0, right_length = 0; /* set by ascii_of: gcc -O3 cannot tell */
    const char *left_data = ascii_of(left, &left_length), *right_data = ascii_of(right, &right_length);
    if (left_data && right_data) {
        size_t between = strlen(separator);
        PyObject *result = PyUnicode_New(left_length + between + right_length, 127);
        if (!result) return NULL;
        char *out = (char *)PyUnicode_1BYTE_DATA(result);
        memcpy(out, left_data, left_length);
        memcpy(out + left_length, separator, between);
        memcpy(out + left_length + between, right_data, right_length);
        return result;
    }
    PyObject *middle = PyUnicode_FromString(separator);
    PyObject *first = middle ? PyUnicode_Concat(left, middle) : NULL;
    PyObject *result = first ? PyUnicode_Concat(first, right) : NULL;
    Py_XDECREF(middle);
    Py_XDECREF(first);
    return result;
}

/* arxiv_snapshot._authors: the names as written, a new list; NULL with no error set when the row
 * is outside the common shape. */
static PyObject *authors_written(PyObject *row) {
    PyObject *parsed = get(row, AUTHORS_PARSED);
    PyObject *names = PyList_New(0);
    if (!names) return NULL;
    if (parsed && PyList_CheckExact(parsed) && PyList_GET_SIZE(parsed) > 0) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parsed); i++) {
            PyObject *parts = PyList_GET_ITEM(parsed, i);
            if (!PyList_CheckExact(parts)) {
                if (PyTuple_Check(parts) || PyList_Check(parts)) goto fail;
                continue;
            }
            Py_ssize_t count = PyList_GET_SIZE(parts);
            if (count == 0) continue;
            PyObject *name;
            if (count == 1) {
                if (!PyUnicode_CheckExact(PyList_GET_ITEM(parts, 0))) goto fail;
                name = Py_NewRef(PyList_GET_ITEM(parts, 0));
            } else {
                PyObject *last_raw = PyList_GET_ITEM(parts, 0), *first_raw = PyList_GET_ITEM(parts, 1);
                if (!PyUnicode_CheckExact(last_raw) || !PyUnicode_CheckExact(first_raw)) goto fail;
                PyObject *last = stripped(last_raw);
                PyObject *first = last ? stripped(first_raw) : NULL;
                if (!first) {
                    Py_XDECREF(last);
                    goto fail;
                }
                if (PyUnicode_GET_LENGTH(first) && PyUnicode_GET_LENGTH(last))
                    name = joined(first, " ", last);
                else
                    name = Py_NewRef(PyUnicode_GET_LENGTH(first) ? first : last);
                Py_DECREF(first);
                Py_DECREF(last);
                if (!name) goto fail;
                if (count > 2) {
                    PyObject *suffix_raw = PyList_GET_ITEM(parts, 2);
                    if (!PyUnicode_CheckExact(suffix_raw)) {
                        Py_DECREF(name);
                        goto fail;
                    }
                    if (PyUnicode_GET_LENGTH(suffix_raw)) {
                        PyObject *suffix = stripped(suffix_raw);
                        PyObject *with_suffix = suffix ? joined(name, ", ", suffix) : NULL;
                        Py_XDECREF(suffix);
                        Py_DECREF(name);
                        if (!with_suffix) goto fail;
                        name = with_suffix;
                    }
                }
            }
            int failed = PyList_Append(names, name);
            Py_DECREF(name);
            if (failed) goto fail;
        }
        return names;
    }
    if (parsed && parsed != Py_None && !(PyList_CheckExact(parsed) && PyList_GET_SIZE(parsed) == 0))
        goto fail;
    PyObject *raw = get(row, AUTHORS);
    if (!raw || !PyUnicode_CheckExact(raw)) return names;
    /* [part.strip() for part in raw.replace(" and ", ", ").split(",")] */
    PyObject *and_ = PyUnicode_FromString(" and "), *comma_space = PyUnicode_FromString(", ");
    PyObject *comma = PyUnicode_FromString(",");
    PyObject *replaced = and_ && comma_space ? PyUnicode_Replace(raw, and_, comma_space, -1) : NULL;
    PyObject *split = replaced && comma ? PyUnicode_Split(replaced, comma, -1) : NULL;
    Py_XDECREF(and_);
    Py_XDECREF(comma_space);
    Py_XDECREF(comma);
    Py_XDECREF(replaced);
    if (!split) goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(split); i++) {
        PyObject *name = stripped(PyList_GET_ITEM(split, i));
        if (!name || PyList_Append(names, name) < 0) {
            Py_XDECREF(name);
            Py_DECREF(split);
            goto fail;
        }
        Py_DECREF(name);
    }
    Py_DECREF(split);
    return names;
fail: /* an error is set, or none when the row is outside the common shape */
    Py_DECREF(names);
    return NULL;
}

/* normalise._author_clean(raw) for the usual name: printable ASCII, single spaces and none at its
 * ends (so strip_controls leaves it as it is), within the length limit, with a letter or digit (so
 * its key is normalise.fold of it). Worked out here, because looking it up in the Python function's
 * cache cost more: a fresh string's hash and a probe of a dict of 100,000 names, for every author
 * of every record. A new (name, key) tuple, or NULL with no error set for any other name. */
static PyObject *author_plain(PyObject *raw) {
    Py_ssize_t length;
    const char *text = ascii_of(raw, &length);
    char key[256];
    if (!text || length == 0 || length > MAX_AUTHOR_NAME || length > (Py_ssize_t)sizeof key) return NULL;
    if (text[0] == ' ' || text[length - 1] == ' ') return NULL;
    Py_ssize_t size = 0;
    int gap = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char c = text[i];
        if (c < 0x20 || c == 0x7f || (c == ' ' && text[i - 1] == ' ')) return NULL;
        if (!is_alnum(c)) {
            gap = size > 0;
            continue;
        }
        if (gap) key[size++] = ' ';
        gap = 0;
        key[size++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (size == 0) return NULL;
    PyObject *folded = PyUnicode_FromStringAndSize(key, size);
    if (!folded) return NULL;
    PyObject *result = PyTuple_Pack(2, raw, folded);
    Py_DECREF(folded);
    return result;
}

/* normalise.clean_authors_keyed: through author_plain, or the same cached normalise._author_clean
 * for any other name: 1 with the two new lists, 0 when a name would be rejected (the Python path
 * says why), -1 on an error. */
static int authors_cleaned(PyObject *written, PyObject **names_out, PyObject **keys_out) {
    PyObject *names = PyList_New(0), *keys = PyList_New(0), *seen = PySet_New(NULL);
    if (!names || !keys || !seen) goto error;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(written); i++) {
        PyObject *raw = PyList_GET_ITEM(written, i), *cleaned = author_plain(raw);
        if (!cleaned && !PyErr_Occurred()) cleaned = PyObject_CallOneArg(author_clean, raw);
        if (!cleaned) {
            if (PyErr_ExceptionMatches(record_error)) {
                PyErr_Clear();
                Py_DECREF(names);
                Py_DECREF(keys);
                Py_DECREF(seen);
                return 0;
            }
            goto error;
        }
        if (cleaned == Py_None) {
            Py_DECREF(cleaned);
            continue;
        }
        PyObject *name = PyTuple_GET_ITEM(cleaned, 0), *key = PyTuple_GET_ITEM(cleaned, 1);
        int known = PySet_Contains(seen, key);
        if (known < 0 || (!known && (PySet_Add(seen, key) < 0 || PyList_Append(names, name) < 0 ||
                                     PyList_Append(keys, key) < 0))) {
            Py_DECREF(cleaned);
            goto error;
        }
        Py_DECREF(cleaned);
        if (PyList_GET_SIZE(names) == MAX_AUTHORS) break;
    }
    Py_DECREF(seen);
    *names_out = names;
    *keys_out = keys;
    return 1;
error:
    Py_XDECREF(names);
    Py_XDECREF(keys);
    Py_XDECREF(seen);
    return -1;
}

/* normalise.clean_categories of one space-separated ASCII string: a new list, NULL with no error
 * set when the value is outside the common shape. */
static PyObject *categories_cleaned(PyObject *value) {
    PyObject *result = PyList_New(0);
    if (!result) return NULL;
    if (!value || !PyUnicode_Check(value)) return result;
    Py_ssize_t length;
    const char *text = ascii_of(value, &length);
    if (!text) {
        Py_DECREF(result);
        return NULL;
    }
    Py_ssize_t i = 0, total = 0;
    while (i < length) {
        while (i < length && is_space(text[i])) i++;
        if (i == length) break;
        Py_ssize_t start = i;
        while (i < length && !is_space(text[i])) i++;
        Py_ssize_t size = i - start;
        const char *token = text + start;
        int valid = is_alpha(token[0]) && size <= 64;
        for (Py_ssize_t k = 1; valid && k < size; k++) {
            unsigned char c = token[k];
            valid = is_alnum(c) || c == '_' || c == '.' || c == '-';
        }
        if (!valid) continue;
        PyObject *category = PyUnicode_FromStringAndSize(token, size);
        if (!category) goto error;
        int known = PySequence_Contains(result, category);
        if (known) {
            Py_DECREF(category);
            if (known < 0) goto error;
            continue;
        }
        total += size + 1;
        if (total > MAX_CATEGORIES) {
            Py_DECREF(category);
            break;
        }
        int failed = PyList_Append(result, category);
        Py_DECREF(category);
        if (failed) goto error;
    }
    return result;
error:
    Py_DECREF(result);
    return NULL;
}

/* normalise.urls_extract's own test for whether ASCII text may hold a link: "http", "www." or
 * "github.com" in any case. */
static int may_hold_links(const char *text, Py_ssize_t length) {
    static const char *marks[] = {"http", "www.", "github.com"};
    for (Py_ssize_t i = 0; i < length; i++) {
        char c = text[i] | 0x20;
        if (c != 'h' && c != 'w' && c != 'g') continue;
        for (int m = 0; m < 3; m++) {
            const char *mark = marks[m];
            Py_ssize_t k = 0;
            while (mark[k] && i + k < length &&
                   (mark[k] == '.' ? text[i + k] == '.' : (text[i + k] | 0x20) == mark[k]))
                k++;
            if (!mark[k]) return 1;
        }
    }
    return 0;
}

/* --- Hashes and the record -------------------------------------------------------------------- */

static PyObject *sha1_hex(char *data, Py_ssize_t length) {
    PyObject *view = PyMemoryView_FromMemory(data, length, PyBUF_READ);
    if (!view) return NULL;
    PyObject *hash = PyObject_CallOneArg(sha1, view);
    Py_DECREF(view);
    if (!hash) return NULL;
    PyObject *hex = PyObject_CallMethodNoArgs(hash, HEXDIGEST);
    Py_DECREF(hash);
    return hex;
}

/* "\x1e".join(values), UTF-8, appended; -1 with an error (a lone surrogate) otherwise. */
static int buffer_joined(Buffer *buffer, PyObject *values, char separator) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(values, i), &length);
        if (!text || (i && buffer_char(buffer, separator) < 0) || buffer_add(buffer, text, length) < 0)
            return -1;
    }
    return 0;
}

/* orjson.dumps(values), COPY-escaped, appended: written here when every value is ASCII text that
 * JSON writes as it is (no quote, backslash or control character), else by orjson. */
static int buffer_json(Buffer *buffer, PyObject *values) {
    Py_ssize_t count = PyList_GET_SIZE(values), total = 2;
    int plain = 1;
    for (Py_ssize_t i = 0; plain && i < count; i++) {
        Py_ssize_t length;
        const char *text = ascii_of(PyList_GET_ITEM(values, i), &length);
        if (!text) {
            plain = 0;
            break;
        }
        for (Py_ssize_t k = 0; k < length; k++) {
            unsigned char c = text[k];
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
                plain = 0;
                break;
            }
        }
        total += length + 3;
    }
    if (plain) {
        if (buffer_reserve(buffer, total) < 0) return -1;
        buffer->data[buffer->length++] = '[';
        for (Py_ssize_t i = 0; i < count; i++) {
            Py_ssize_t length = 0; /* set by ascii_of: gcc -O3 cannot tell */
            const char *text = ascii_of(PyList_GET_ITEM(values, i), &length);
            if (i) buffer->data[buffer->length++] = ',';
            buffer->data[buffer->length++] = '"';
            memcpy(buffer->data + buffer->length, text, length);
            buffer->length += length;
            buffer->data[buffer->length++] = '"';
        }
        buffer->data[buffer->length++] = ']';
        return 0;
    }
    PyObject *json = PyObject_CallOneArg(json_dumps, values);
    if (!json) return -1;
    int status = buffer_escaped(buffer, PyBytes_AS_STRING(json), PyBytes_GET_SIZE(json));
    Py_DECREF(json);
    return status;
}

static int buffer_str(Buffer *buffer, PyObject *text) {
    Py_ssize_t length;
    const char *data = PyUnicode_AsUTF8AndSize(text, &length);
    return data ? buffer_add(buffer, data, length) : -1;
}

static int buffer_long(Buffer *buffer, long value) {
    char text[24];
    int length = snprintf(text, sizeof text, "%ld", value);
    return buffer_add(buffer, text, length);
}

static PyObject *prepared(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "prepared(postgres, number, row)");
        return NULL;
    }
    if (!source_name) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *number = args[1], *row = args[2];
    int postgres = PyObject_IsTrue(args[0]);
    if (postgres < 0) return NULL;
    if (!PyDict_CheckExact(row)) Py_RETURN_NONE;

    PyObject *result = NULL, *title = NULL, *abstract = NULL, *arxiv_id = NULL, *version = NULL;
    PyObject *written = NULL, *names = NULL, *keys = NULL, *categories = NULL, *published = NULL;
    PyObject *updated = NULL, *code = NULL, *project = NULL, *title_key = NULL, *content_hash = NULL;
    PyObject *copy = NULL;
    PyObject *record = NULL;
    Buffer text = {0}, line = {0};

    /* The id, plainly written. */
    Py_ssize_t id_length;
    const char *id = ascii_of(get(row, ID), &id_length);
    long id_version;
    Py_ssize_t base_length = id ? arxiv_id_split(id, id_length, &id_version) : 0;
    if (!base_length) goto outside;

    /* The dates of the first and last version, and the last version's number. */
    PyObject *versions = get(row, VERSIONS);
    if (!versions || !PyList_CheckExact(versions) || PyList_GET_SIZE(versions) == 0) goto outside;
    PyObject *first = PyList_GET_ITEM(versions, 0);
    PyObject *last = PyList_GET_ITEM(versions, PyList_GET_SIZE(versions) - 1);
    if (!PyDict_CheckExact(first) || !PyDict_CheckExact(last)) goto outside;
    Moment first_moment, last_moment;
    if (!rfc2822_parse(get(first, CREATED), &first_moment)) goto outside;
    if (last == first)
        last_moment = first_moment;
    else if (!rfc2822_parse(get(last, CREATED), &last_moment))
        goto outside;
    long label_version = -1;
    PyObject *label_object = get(last, VERSION);
    if (label_object) {
        Py_ssize_t label_length;
        const char *label = ascii_of(label_object, &label_length);
        if (!label) goto outside;
        if (label_length >= 2 && label[0] == 'v') {
            if (label_length > 10) goto outside;
            long value = 0;
            int digits = 1;
            for (Py_ssize_t k = 1; k < label_length; k++) {
                if (!is_digit(label[k])) digits = 0;
                value = value * 10 + (label[k] - '0');
            }
            if (digits) label_version = value;
        }
    }

    /* Title and abstract: ASCII, clean as normalise makes them. */
    Py_ssize_t title_length, abstract_length;
    const char *title_raw = ascii_of(get(row, TITLE), &title_length);
    const char *abstract_raw = ascii_of(get(row, ABSTRACT), &abstract_length);
    if (!title_raw || !abstract_raw) goto outside;
    unsigned char title_flags = classes_of(title_raw, title_length);
    unsigned char abstract_flags = classes_of(abstract_raw, abstract_length);
    if (!text_acceptable(title_raw, title_length, title_flags, MAX_TITLE) ||
        !text_acceptable(abstract_raw, abstract_length, abstract_flags, MAX_ABSTRACT))
        goto outside;
    title = text_cleaned(get(row, TITLE), title_flags, 0, &text);
    if (!title) goto error;
    abstract = text_cleaned(get(row, ABSTRACT), abstract_flags, 1, &text);
    if (!abstract) goto error;

    arxiv_id = PyUnicode_FromStringAndSize(id, base_length);
    if (!arxiv_id) goto error;
    if (id_version >= 0)
        version = PyLong_FromLong(id_version);
    else if (label_version > 0)
        version = PyLong_FromLong(label_version);
    else
        version = Py_NewRef(Py_None);
    if (!version) goto error;

    written = authors_written(row);
    if (!written) {
        if (PyErr_Occurred()) goto error;
        goto outside;
    }
    int authors_status = authors_cleaned(written, &names, &keys);
    if (authors_status < 0) goto error;
    if (authors_status == 0) goto outside;

    categories = categories_cleaned(get(row, CATEGORIES));
    if (!categories) {
        if (PyErr_Occurred()) goto error;
        goto outside;
    }

    int same_dates = moments_equal(&first_moment, &last_moment);

    /* Links in the (already clean) abstract: the same function, where there may be any. */
    if (may_hold_links((const char *)PyUnicode_1BYTE_DATA(abstract), PyUnicode_GET_LENGTH(abstract))) {
        PyObject *urls = PyObject_CallOneArg(urls_extract, abstract);
        if (!urls) goto error;
        code = PyList_GetSlice(PyTuple_GET_ITEM(urls, 0), 0, MAX_URLS);
        project = PyList_GetSlice(PyTuple_GET_ITEM(urls, 1), 0, MAX_URLS);
        Py_DECREF(urls);
    } else {
        code = PyList_New(0);
        project = PyList_New(0);
    }
    if (!code || !project) goto error;

    if (buffer_words(&text, (const char *)PyUnicode_1BYTE_DATA(title), PyUnicode_GET_LENGTH(title), 1) < 0)
        goto error;
    title_key = sha1_hex(text.data, text.length);
    text.length = 0;
    if (!title_key) goto error;

    /* The content hash: services._hash_of's values, as normalise.content_hash joins them. */
    if (buffer_str(&text, title) < 0 || buffer_char(&text, '\x1f') < 0 || buffer_str(&text, abstract) < 0 ||
        buffer_char(&text, '\x1f') < 0 || buffer_joined(&text, names, '\x1e') < 0 ||
        buffer_char(&text, '\x1f') < 0)
        goto error;
    Py_ssize_t categories_start = text.length;
    if (buffer_joined(&text, categories, ' ') < 0) goto error;
    Py_ssize_t categories_end = text.length;
    if (buffer_char(&text, '\x1f') < 0 || buffer_str(&text, arxiv_id) < 0 || buffer_char(&text, '\x1f') < 0)
        goto error;
    if (version != Py_None && buffer_long(&text, PyLong_AsLong(version)) < 0) goto error;
    if (buffer_char(&text, '\x1f') < 0 || buffer_timestamp(&text, &first_moment) < 0 ||
        buffer_char(&text, '\x1f') < 0 || (!same_dates && buffer_timestamp(&text, &last_moment) < 0) ||
        buffer_add(&text, "\x1f\x1f", 2) < 0 || buffer_str(&text, source_name) < 0 ||
        buffer_char(&text, '\x1f') < 0 || buffer_joined(&text, code, '\x1e') < 0 ||
        buffer_char(&text, '\x1f') < 0 || buffer_joined(&text, project, '\x1e') < 0)
        goto error;
    content_hash = sha1_hex(text.data, text.length);
    if (!content_hash) goto error;

    if (postgres) {
        /* services._prepared's COPY fields. */
        Py_ssize_t primary = categories_start;
        while (primary < categories_end && text.data[primary] != ' ') primary++;
        if (buffer_str(&line, arxiv_id) < 0 || buffer_char(&line, '\t') < 0 || buffer_str(&line, arxiv_id) < 0 ||
            buffer_char(&line, '\t') < 0 ||
            (version == Py_None ? buffer_add(&line, "\\N", 2) : buffer_long(&line, PyLong_AsLong(version))) < 0 ||
            buffer_char(&line, '\t') < 0 || buffer_str(&line, title_key) < 0 || buffer_char(&line, '\t') < 0 ||
            buffer_escaped(&line, (const char *)PyUnicode_1BYTE_DATA(title), PyUnicode_GET_LENGTH(title)) < 0 ||
            buffer_char(&line, '\t') < 0 ||
            buffer_escaped(&line, (const char *)PyUnicode_1BYTE_DATA(abstract), PyUnicode_GET_LENGTH(abstract)) < 0 ||
            buffer_char(&line, '\t') < 0 || buffer_json(&line, names) < 0 || buffer_char(&line, '\t') < 0 ||
            buffer_add(&line, text.data + categories_start, categories_end - categories_start) < 0 ||
            buffer_char(&line, '\t') < 0 ||
            buffer_add(&line, text.data + categories_start, primary - categories_start) < 0 ||
            buffer_char(&line, '\t') < 0 || buffer_str(&line, source_name) < 0 || buffer_char(&line, '\t') < 0 ||
            buffer_json(&line, code) < 0 || buffer_char(&line, '\t') < 0 ||
            buffer_json(&line, project) < 0 ||
            buffer_add(&line, PyList_GET_SIZE(code) ? "\tt\t\\N\t" : "\tf\t\\N\t", 6) < 0 ||
            buffer_isoformat(&line, &first_moment) < 0 || buffer_char(&line, '\t') < 0 ||
            (same_dates ? buffer_add(&line, "\\N", 2) : buffer_isoformat(&line, &last_moment)) < 0 ||
            buffer_char(&line, '\t') < 0 || buffer_str(&line, content_hash) < 0)
            goto error;
        copy = PyBytes_FromStringAndSize(line.data, line.length);
        if (!copy) goto error;
        /* What crosses to the storing process with the COPY text (services._crossing). */
        record = PyTuple_Pack(5, number, arxiv_id, title_key, names, keys);
        if (!record) goto error;
        result = PyTuple_Pack(3, record, content_hash, copy);
        goto done;
    }

    /* PaperRecord's fields, in declaration order (PaperRecord.to_tuple). */
    published = moment_datetime(&first_moment);
    if (!published) goto error;
    updated = same_dates ? Py_NewRef(Py_None) : moment_datetime(&last_moment);
    if (!updated) goto error;
    record = PyTuple_Pack(15, number, source_name, title, abstract, names, arxiv_id, version, categories,
                          published, updated, Py_None, code, project,
                          title_key, keys);
    if (!record) goto error;
    result = PyTuple_Pack(3, record, content_hash, Py_None);
    goto done;
outside:
    result = Py_NewRef(Py_None);
    goto done;
error:
    result = NULL;
done:
    Py_XDECREF(title);
    Py_XDECREF(abstract);
    Py_XDECREF(arxiv_id);
    Py_XDECREF(version);
    Py_XDECREF(written);
    Py_XDECREF(names);
    Py_XDECREF(keys);
    Py_XDECREF(categories);
    Py_XDECREF(published);
    Py_XDECREF(updated);
    Py_XDECREF(code);
    Py_XDECREF(project);
    Py_XDECREF(title_key);
    Py_XDECREF(content_hash);
    Py_XDECREF(copy);
    Py_XDECREF(record);
    PyMem_Free(text.data);
    PyMem_Free(line.data);
    return result;
}

static PyObject *configure(PyObject *module, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"source", "author_clean", "urls_extract", "sha1", "dumps", "utc",
                            "record_error", "limits", NULL};
    PyObject *values[7];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UOOOOOO(nnnnnn):configure", names, &values[0],
                                     &values[1], &values[2], &values[3], &values[4], &values[5],
                                     &values[6], &MAX_TITLE, &MAX_ABSTRACT, &MAX_AUTHORS,
                                     &MAX_CATEGORIES, &MAX_URLS, &MAX_AUTHOR_NAME))
        return NULL;
    PyObject **slots[] = {&source_name, &author_clean, &urls_extract, &sha1, &json_dumps, &utc, &record_error};
    for (int i = 0; i < 7; i++) Py_XSETREF(*slots[i], Py_NewRef(values[i]));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"prepared", (PyCFunction)(void (*)(void))prepared, METH_FASTCALL,
     "prepared(postgres, number, row): for PostgreSQL (the crossing tuple, content hash, COPY text) "
     "as services._crossing makes them, otherwise (record tuple, content hash, None); None for a row "
     "the Python path must prepare."},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, source, author_clean, urls_extract, sha1, dumps, utc, record_error, limits): limits are "
     "(title, abstract, authors, categories, urls, author name)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_arxiv_fast", NULL, -1, methods};

PyMODINIT_FUNC PyInit__arxiv_fast(void) {
    classes_fill();
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {{&ID, "id"},           {&TITLE, "title"},
                 {&ABSTRACT, "abstract"}, {&VERSIONS, "versions"},
                 {&CREATED, "created"}, {&VERSION, "version"},
                 {&AUTHORS, "authors"}, {&AUTHORS_PARSED, "authors_parsed"},
                 {&CATEGORIES, "categories"}, {&STRIP, "strip"},
                 {&HEXDIGEST, "hexdigest"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!(*names[i].slot = PyUnicode_InternFromString(names[i].text))) return NULL;
    return PyModule_Create(&module);
}
