/* peft_config.c — adapter_config.json: parse and type-check the PEFT LoRA settings. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
#include "io/peft.h"

void rk_peft_config_free(rk_peft_config *cfg)
{
    if (!cfg)
        return;
    rk_free(cfg->bias);
    rk_free(cfg->base_model);
    rk_free(cfg->target_modules_regex);
    for (size_t i = 0; i < cfg->n_target_modules; i++)
        rk_free(cfg->target_modules[i]);
    rk_free(cfg->target_modules);
    for (size_t i = 0; i < cfg->n_modules_to_save; i++)
        rk_free(cfg->modules_to_save[i]);
    rk_free(cfg->modules_to_save);
    for (size_t i = 0; i < cfg->n_rank_pattern; i++)
        rk_free(cfg->rank_pattern[i].key);
    rk_free(cfg->rank_pattern);
    for (size_t i = 0; i < cfg->n_alpha_pattern; i++)
        rk_free(cfg->alpha_pattern[i].key);
    rk_free(cfg->alpha_pattern);
    *cfg = (rk_peft_config){ 0 };
}

/* The value of key, or NULL when absent or null. */
static json_t *get(const json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_null(v) ? NULL : v;
}

static rk_status get_bool(const json_t *root, const char *key, bool *out, rk_err *err)
{
    json_t *v = get(root, key);
    if (!v)
        return RK_OK;
    if (!json_is_boolean(v))
        return rk_err_set(err, RK_ECONFIG, "\"%s\" must be true or false", key);
    *out = json_is_true(v);
    return RK_OK;
}

/* A list of strings (or a single string when one_ok) into *list / *n. */
static rk_status get_strings(const json_t *v, const char *key, char ***list, size_t *n, rk_err *err)
{
    if (!json_is_array(v))
        return rk_err_set(err, RK_ECONFIG, "\"%s\" must be a list of module names", key);
    size_t m = json_array_size(v);
    if (!(*list = rk_calloc(m ? m : 1, sizeof **list)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            return rk_err_set(err, RK_ECONFIG, "\"%s\" must be a list of module names", key);
        if (!((*list)[i] = rk_strdup(json_string_value(s))))
            return rk_err_set(err, RK_ENOMEM, "out of memory");
        *n = i + 1;
    }
    return RK_OK;
}

static rk_status get_patterns(const json_t *root, const char *key, bool integer,
                              rk_peft_pattern **out, size_t *n, rk_err *err)
{
    json_t *v = get(root, key);
    if (!v)
        return RK_OK;
    if (!json_is_object(v))
        return rk_err_set(err, RK_ECONFIG, "\"%s\" must be an object", key);
    size_t m = json_object_size(v);
    if (!(*out = rk_calloc(m ? m : 1, sizeof **out)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        bool ok = integer ? json_is_integer(x) && json_integer_value(x) > 0 : json_is_number(x);
        if (!ok)
            return rk_err_set(err, RK_ECONFIG, "%s[\"%s\"] must be %s", key, k,
                              integer ? "a positive integer" : "a number");
        rk_peft_pattern *p = &(*out)[(*n)++];
        p->value = json_number_value(x);
        if (!(p->key = rk_strdup(k)))
            return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    return RK_OK;
}

static rk_status get_string(const json_t *root, const char *key, char **out, rk_err *err)
{
    json_t *v = get(root, key);
    if (!v)
        return RK_OK;
    if (!json_is_string(v))
        return rk_err_set(err, RK_ECONFIG, "\"%s\" must be a string", key);
    if (!(*out = rk_strdup(json_string_value(v))))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    return RK_OK;
}

static rk_status parse_fields(rk_peft_config *cfg, const json_t *root, rk_err *err)
{
    const json_t *type = get(root, "peft_type");
    if (!type)
        return rk_err_set(err, RK_ECONFIG, "adapter_config.json has no \"peft_type\"");
    if (!json_is_string(type) || strcmp(json_string_value(type), "LORA"))
        return rk_err_set(err, RK_ECONFIG, "peft_type is %s%s%s; only LORA adapters are supported",
                          json_is_string(type) ? "\"" : "",
                          json_is_string(type) ? json_string_value(type) : "not a string",
                          json_is_string(type) ? "\"" : "");
    const json_t *r = get(root, "r");
    if (!r)
        return rk_err_set(err, RK_ECONFIG, "adapter_config.json has no \"r\"");
    if (!json_is_integer(r) || json_integer_value(r) <= 0)
        return rk_err_set(err, RK_ECONFIG, "\"r\" must be a positive integer");
    cfg->r = (size_t)json_integer_value(r);
    const json_t *alpha = get(root, "lora_alpha");
    if (!alpha)
        return rk_err_set(err, RK_ECONFIG, "adapter_config.json has no \"lora_alpha\"");
    if (!json_is_number(alpha))
        return rk_err_set(err, RK_ECONFIG, "\"lora_alpha\" must be a number");
    cfg->lora_alpha = json_number_value(alpha);
    bool dora = false;
    rk_status st;
    if ((st = get_bool(root, "use_rslora", &cfg->use_rslora, err)) ||
        (st = get_bool(root, "fan_in_fan_out", &cfg->fan_in_fan_out, err)) ||
        (st = get_bool(root, "use_dora", &dora, err)))
        return st;
    if (dora)
        return rk_err_set(err, RK_ECONFIG,
                          "use_dora is true: DoRA adapters are not supported (their update depends on the base weight)");
    if ((st = get_string(root, "bias", &cfg->bias, err)) ||
        (st = get_string(root, "base_model_name_or_path", &cfg->base_model, err)))
        return st;
    if (cfg->bias && strcmp(cfg->bias, "none") && strcmp(cfg->bias, "all") &&
        strcmp(cfg->bias, "lora_only"))
        return rk_err_set(err, RK_ECONFIG, "\"bias\" must be \"none\", \"all\" or \"lora_only\"");
    const json_t *tm = get(root, "target_modules");
    if (json_is_string(tm)) {
        if (!(cfg->target_modules_regex = rk_strdup(json_string_value(tm))))
            return rk_err_set(err, RK_ENOMEM, "out of memory");
    } else if (tm && (st = get_strings(tm, "target_modules", &cfg->target_modules,
                                       &cfg->n_target_modules, err)))
        return st;
    const json_t *ms = get(root, "modules_to_save");
    if (ms && (st = get_strings(ms, "modules_to_save", &cfg->modules_to_save,
                                &cfg->n_modules_to_save, err)))
        return st;
    if ((st = get_patterns(root, "rank_pattern", true, &cfg->rank_pattern, &cfg->n_rank_pattern, err)) ||
        (st = get_patterns(root, "alpha_pattern", false, &cfg->alpha_pattern, &cfg->n_alpha_pattern, err)))
        return st;
    if (!cfg->bias && !(cfg->bias = rk_strdup("none")))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    return RK_OK;
}

rk_status rk_peft_config_parse(rk_peft_config *cfg, const char *text, size_t len, rk_err *err)
{
    if (!cfg || (!text && len))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *cfg = (rk_peft_config){ 0 };
    json_error_t jerr;
    json_t *root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_duplicate_key)
            return rk_err_set(err, RK_EDUPKEY, "adapter_config.json has a duplicate key: %s", jerr.text);
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return rk_err_set(err, RK_ENOMEM, "out of memory parsing adapter_config.json");
        return rk_err_set(err, RK_EJSON, "adapter_config.json is not valid JSON: %s (line %d)",
                          jerr.text, jerr.line);
    }
    rk_status st = json_is_object(root)
                       ? parse_fields(cfg, root, err)
                       : rk_err_set(err, RK_EJSON, "adapter_config.json is not a JSON object");
    json_decref(root);
    if (st)
        rk_peft_config_free(cfg);
    return st;
}

rk_status rk_peft_config_read(rk_peft_config *cfg, const char *path, rk_err *err)
{
    if (!cfg || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *cfg = (rk_peft_config){ 0 };
    unsigned char *buf;
    size_t size;
    rk_status st = rk_file_read_all(path, (size_t)1 << 20, &buf, &size, err);
    if (st)
        return st;
    st = rk_peft_config_parse(cfg, (const char *)buf, size, err);
    rk_free(buf);
    return st;
}

bool rk_peft_pattern_match(const char *key, const char *module)
{
    size_t k = strlen(key), m = strlen(module);
    if (!strcmp(key, module))
        return true;
    return k > 0 && m > k && module[m - k - 1] == '.' && !strcmp(module + m - k, key);
}

size_t rk_peft_config_rank(const rk_peft_config *cfg, const char *module)
{
    for (size_t i = 0; i < cfg->n_rank_pattern; i++)
        if (rk_peft_pattern_match(cfg->rank_pattern[i].key, module))
            return (size_t)cfg->rank_pattern[i].value;
    return cfg->r;
}

double rk_peft_config_alpha(const rk_peft_config *cfg, const char *module)
{
    for (size_t i = 0; i < cfg->n_alpha_pattern; i++)
        if (rk_peft_pattern_match(cfg->alpha_pattern[i].key, module))
            return cfg->alpha_pattern[i].value;
    return cfg->lora_alpha;
}

double rk_peft_scale(double alpha, size_t r, bool rslora)
{
    if (r == 0)
        return 0.0;
    return rslora ? alpha / sqrt((double)r) : alpha / (double)r;
}
