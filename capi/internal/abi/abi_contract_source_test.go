package abi

// What the ABI contract (abi_contract_test.go) reads from sources and files:
// dispatch switches, typed constants, the module's root, JSON helpers.

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// switchCases returns the string cases of the switch on variable sw in
// function fn of file, in source order: the names a dispatch takes.
func switchCases(t *testing.T, file, fn, sw string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		d, ok := n.(*ast.FuncDecl)
		if !ok || d.Name.Name != fn {
			return true
		}
		ast.Inspect(d.Body, func(n ast.Node) bool {
			s, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if id, ok := s.Tag.(*ast.Ident); !ok || id.Name != sw {
				return true
			}
			for _, st := range s.Body.List {
				for _, e := range st.(*ast.CaseClause).List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
			return false
		})
		return false
	})
	if len(out) == 0 {
		t.Fatalf("%s: no switch on %s in %s", file, sw, fn)
	}
	return out
}

// typeSwitchCases returns the case types of the type switch in function fn
// of file, as reflect prints them ("*session.StateEvent").
func typeSwitchCases(t *testing.T, file, fn string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var name func(e ast.Expr) string
	name = func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.StarExpr:
			return "*" + name(x.X)
		case *ast.SelectorExpr:
			return name(x.X) + "." + x.Sel.Name
		case *ast.Ident:
			return x.Name
		}
		return fmt.Sprintf("%T", e)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		d, ok := n.(*ast.FuncDecl)
		if !ok || d.Name.Name != fn {
			return true
		}
		ast.Inspect(d.Body, func(n ast.Node) bool {
			if s, ok := n.(*ast.TypeSwitchStmt); ok {
				for _, st := range s.Body.List {
					for _, e := range st.(*ast.CaseClause).List {
						out = append(out, name(e))
					}
				}
				return false
			}
			return true
		})
		return false
	})
	if len(out) == 0 {
		t.Fatalf("%s: no type switch in %s", file, fn)
	}
	return out
}

// goConsts returns the typed constants of a Go file by type name, in
// source order: string or int values.
func goConsts(t *testing.T, file string) map[string][]any {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			id, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Values) != len(vs.Names) {
				continue
			}
			for _, val := range vs.Values {
				lit, ok := val.(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s: constant of %s is not a literal", file, id.Name)
				}
				switch lit.Kind {
				case token.STRING:
					s, _ := strconv.Unquote(lit.Value)
					out[id.Name] = append(out[id.Name], s)
				case token.INT:
					n, _ := strconv.Atoi(lit.Value)
					out[id.Name] = append(out[id.Name], n)
				}
			}
		}
	}
	return out
}

// abiRoot is the module's root: the folder above the test's that holds go.mod.
func abiRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

func readFile(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonName(f reflect.StructField) string {
	tag := strings.Split(f.Tag.Get("json"), ",")[0]
	if tag == "-" || !f.IsExported() {
		return ""
	}
	if tag == "" {
		return f.Name
	}
	return tag
}

func jsonTypeOf(t reflect.Type) string {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

func jsonTypeOfValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int64:
		return "integer"
	case stdjson.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "number"
		}
		return "integer"
	case float64:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

// decodeNumbers decodes a JSON object keeping integers apart from numbers.
func decodeNumbers(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := stdjson.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// stdMarshalIndent writes the contract as the file holds it: two-space
// indents, no HTML escapes, map keys sorted, a final newline.
func stdMarshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := stdjson.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: file %q, library %q", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return "same lines"
}
