"""Lists the marching-cubes configurations (cube index after PyRadiomics' 0x80 flip) that occur in brain1's ROI but
in none of brain2, breast1, lung1, lung2 (evidence for the brain1 mesh-feature note in
crates/mmrad-conformance/tests/pyradiomics_shape.rs). Run from the workspace root:
python3 tests/reference/features/shape_cube_configs.py   ->   only in brain1: {28: 1, 52: 3, 60: 4, 62: 2, 65: 1, 71: 1}
"""
import sys
sys.path.insert(0,'tests/reference/io')
from io_reference import read_nrrd
from pathlib import Path
import numpy as np
grid=[(0,0,0),(0,0,1),(0,1,1),(0,1,0),(1,0,0),(1,0,1),(1,1,1),(1,1,0)]
res={}
for case in ['brain1','brain2','breast1','lung1','lung2']:
    arr=read_nrrd(Path(f'/work/shared/data/pyradiomics/{case}_label.nrrd'))[0]
    m=(arr==1)
    idx=np.where(m); sl=tuple(slice(i.min(),i.max()+1) for i in idx)
    m=np.pad(m[sl],1)
    Z,Y,X=m.shape
    code=np.zeros((Z-1,Y-1,X-1),dtype=np.int32)
    for a,(dz,dy,dx) in enumerate(grid):
        code|= m[dz:Z-1+dz,dy:Y-1+dy,dx:X-1+dx].astype(np.int32)<<a
    flip=code&0x80>0
    code=np.where(flip,code^0xff,code)
    u,c=np.unique(code,return_counts=True)
    res[case]=dict(zip(u.tolist(),c.tolist()))
others=set().union(*[set(res[k]) for k in res if k!='brain1'])
print('only in brain1:', {k:v for k,v in res['brain1'].items() if k not in others})
