//! mmrad-protocol: the YAML study protocol, validated into a typed Plan.
