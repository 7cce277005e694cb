# Bash completion for ranklab: the commands and each command's flags, read
# from `ranklab --help` and `ranklab COMMAND --help` when completing, so it
# always matches the installed ranklab. Files complete as usual.
_ranklab()
{
    local cur=${COMP_WORDS[COMP_CWORD]} words
    if [ "$COMP_CWORD" -eq 1 ]; then
        words=$(ranklab --help 2>/dev/null |
            awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
        COMPREPLY=($(compgen -W "$words help --help --version" -- "$cur"))
        return
    fi
    local cmd=${COMP_WORDS[1]}
    if [ "$cmd" = help ]; then
        words=$(ranklab --help 2>/dev/null |
            awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    if [ "${COMP_WORDS[COMP_CWORD - 1]}" = --rank-rule ]; then   # the rules (docs/concepts/rank-rules.md)
        COMPREPLY=($(compgen -W "fixed: energy: sv_fro: sv_cumulative: sv_ratio: eps: gd budget:" -- "$cur"))
        compopt -o nospace 2>/dev/null
        return
    fi
    case $cur in
    -*)
        words=$(ranklab "$cmd" --help 2>/dev/null |
            grep -o -e '^  -[a-zA-Z], --[a-z][a-z-]*' -e '^  --[a-z][a-z-]*' |
            grep -o -e '--[a-z][a-z-]*' -e '^  -[a-zA-Z]' | tr -d ' ' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        ;;
    *)
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
    esac
}
complete -o filenames -F _ranklab ranklab
