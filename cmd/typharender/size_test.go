package main

import "testing"

func TestSize(t *testing.T) {
	runCases(t, "size", []cmdCase{
		{name: "1000 nodes", args: []string{"size", "--nodes", "1000"}},
		{name: "boundary 601 nodes", args: []string{"size", "--nodes", "601"}},
		{name: "small cluster", args: []string{"size", "--nodes", "50"}},
		{name: "replicas too few", args: []string{"size", "--nodes", "2000", "--replicas", "3"}},
		{name: "fail on warning", args: []string{"size", "--nodes", "2000", "--replicas", "3", "--fail-on", "warning"}, code: 1},
		{name: "fail on error passes a warning", args: []string{"size", "--nodes", "2000", "--replicas", "3", "--fail-on", "error"}},
		{name: "fail on error", args: []string{"size", "--nodes", "3", "--replicas", "3", "--fail-on", "error"}, code: 1},
		{name: "fail on warning passes clean advice", args: []string{"size", "--nodes", "1000", "--fail-on", "warning"}},
		{name: "replicas not below nodes", args: []string{"size", "--nodes", "150", "--replicas", "150"}},
		{name: "json", args: []string{"size", "--nodes", "5000", "-o", "json"}},
		{name: "yaml", args: []string{"size", "--nodes", "50", "-o", "yaml"}},
		{name: "table", args: []string{"size", "--table"}},
		{name: "table range", args: []string{"size", "--table", "--from", "500", "--to", "1000", "--step", "50"}},
		{name: "table json", args: []string{"size", "--table", "--from", "1000", "--to", "3000", "--step", "1000", "-o", "json"}},
		{name: "help", args: []string{"size", "--help"}},

		{name: "no nodes", args: []string{"size"}, code: 2},
		{name: "nodes not a number", args: []string{"size", "--nodes", "many"}, code: 2},
		{name: "nodes out of range", args: []string{"size", "--nodes", "200000"}, code: 2},
		{name: "replicas zero", args: []string{"size", "--nodes", "100", "--replicas", "0"}, code: 2},
		{name: "table with nodes", args: []string{"size", "--table", "--nodes", "100"}, code: 2},
		{name: "range without table", args: []string{"size", "--nodes", "100", "--step", "5"}, code: 2},
		{name: "table from zero", args: []string{"size", "--table", "--from", "0"}, code: 2},
		{name: "table to below from", args: []string{"size", "--table", "--from", "500", "--to", "400"}, code: 2},
		{name: "table step zero", args: []string{"size", "--table", "--step", "0"}, code: 2},
		{name: "table too long", args: []string{"size", "--table", "--from", "1", "--to", "100000", "--step", "1"}, code: 2},
		{name: "bad output", args: []string{"size", "--nodes", "100", "-o", "wide"}, code: 2},
		{name: "from not a number", args: []string{"size", "--table", "--from", "x"}, code: 2},
	})
}
